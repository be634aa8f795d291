"""What the rep says, per move class: many phrasings per intent with {slots} filled per turn (see
agent.synth.template_writer for the slot names). A turn is composed from parts: an acknowledgement of what the
prospect just said, the core sentence, and sometimes a check-in question."""

from __future__ import annotations

OPENING: tuple[str, ...] = (
    "Hi {prospect}, thanks for making the time today.",
    "Hey {prospect}, good to meet you. How's your week going?",
    "Morning {prospect}! Appreciate you jumping on.",
    "Hi {prospect}, {rep} here from {product}. Thanks for taking the call.",
    "Thanks for joining, {prospect}. I know {day}s are usually packed.",
    "Hey {prospect}, can you hear me okay? Great. Thanks for the time.",
    "Hi {prospect}, before we dive in, how are things at {company}?",
    "Good to finally connect, {prospect}. Looks like {company} has been growing fast.",
    "Hi {prospect}, thanks again for booking this.",
    "Hey {prospect}, thanks for coming back to us after the webinar.",
    "Hi {prospect}. {colleague} mentioned you'd be the right person to talk to about {category}.",
    "Hello {prospect}, thanks for the time, I know it's a busy {month}.",
    "Hey {prospect}! How was the long weekend?",
    "Hi {prospect}, it's {rep}. Glad we could find a slot.",
    "{prospect}, hi! Thanks for squeezing me in.",
)

COLD_START: tuple[str, ...] = (
    "Hi {prospect}, thanks for joining. ", "Hey {prospect}. So, ", "Hi {prospect}, let's jump right in. ",
    "Hi {prospect}, I know time is short, so ", "Hey, thanks for the time. ", "Hi {prospect}! Okay, ",
)

OPENING_AGENDA: tuple[str, ...] = (
    " I was thinking we spend a few minutes on your side first, then I show you a bit of {product}. Does that work?",
    " Quick agenda: learn about your setup, show you {product}, and see if it makes sense to keep talking.",
    " We've got about {mins} minutes, does that still work for you?",
    " Sound good if I start with a couple of questions?",
    " My goal today is mostly to understand how your {team} team works.",
    " I'd love to keep this pretty conversational.",
    " Happy to go wherever is most useful for you.",
    " I'll keep it to {mins} minutes, promise.",
)

SMALL_TALK: tuple[str, ...] = (
    "Ha, I hear you. It's been a crazy {month} for us too.",
    "By the way, are you going to the {industry} summit in {month}?",
    "Totally unrelated, but I love the bookshelf behind you.",
    "Oh, you're in the same time zone as our {team} folks, nice.",
    "Sorry, quick aside, how long have you been at {company}?",
    "Ha, yeah, {day}s are always like that.",
    "I grew up not far from your office, actually.",
    "Anyway, enough about me.",
    "How's the weather over there, by the way?",
    "Ha, I know the feeling, my {day} has been nonstop.",
)

WRAP: tuple[str, ...] = (
    "Thanks so much, {prospect}. Really appreciate the time.",
    "Great talking with you, {prospect}. Have a good rest of your {day}.",
    "Alright, I'll let you go. Thanks again.",
    "Thanks {prospect}, talk soon.",
    "Appreciate it. I'll follow up by email with what we covered.",
    "Perfect. Thanks for your time today, {prospect}.",
    "Okay, I'll send a quick recap after this. Thanks!",
    "Thanks for being so open today, {prospect}.",
    "That's all I had. Enjoy the rest of your week.",
    "Cool, thanks {prospect}. I'll be in touch.",
    "Great, I'll let you get back to it. Thanks!",
)

DISCOVERY: tuple[str, ...] = (
    "Can you walk me through how your {team} team handles {unit} today?",
    "What does the process look like right now, end to end?",
    "What's the biggest headache with the way you do it today?",
    "How are you handling {category} today? Is it mostly {status_quo}?",
    "What made you take this call now? Why is this on your plate this quarter?",
    "If you could wave a magic wand, what would you fix first?",
    "Who feels the pain most when something goes wrong with {unit}?",
    "What have you tried so far?",
    "What happens if nothing changes over the next {months} months?",
    "How do you measure success for the {team} team right now?",
    "How many people are involved in that day to day?",
    "What's driving the interest on your side, is it growth, cost, something else?",
    "Where does it usually break down?",
    "Who else besides you cares about fixing this?",
    "How are you tracking it today, is there a report or is it more gut feel?",
    "Roughly how much time does your team spend on {unit} each week?",
    "What would a great outcome look like for you a year from now?",
    "What's the one thing your {boss} keeps asking you about?",
)

DISCOVERY_FOLLOWUP: tuple[str, ...] = (
    "You mentioned {pain}. How often does that happen?",
    "Tell me more about {pain}. What does that cost you?",
    "When you say {pain}, who ends up cleaning it up?",
    "How long have you been dealing with {pain}?",
    "And {pain}, is that getting better or worse as you grow?",
    "What have you tried to fix {pain} so far?",
    "If {pain} went away tomorrow, what would your team do with that time?",
    "On {pain}: has that ever caused a real problem with a customer or an audit?",
    "Going back to {pain} for a second. Who owns that today?",
    "How do you even measure {pain} right now?",
)

QUANTIFY_KNOWN: tuple[str, ...] = (
    "You said {pain} is costing you around {hours} hours a week. If {product} takes even {pct}% of that off, that's {saved_hours} hours back every week, roughly {saved_money} a year.",
    "Let's put numbers on it: {hours} hours a week on {pain}, at a loaded cost of about ${hourly} an hour, that adds up. Teams like yours usually cut that by {pct}%.",
    "So if we fix {pain}, back-of-the-envelope that's about {saved_money} a year for {company}.",
    "On {volume} {unit} a month, shaving even a few minutes off each one adds up to {saved_hours} hours a week.",
    "The way I'd frame it for your {boss}: {saved_money} in time saved in year one, against a cost of about {annual}.",
    "Most teams your size see a {pct}% drop in time spent on {pain} within the first {months} months.",
    "If your team gets {saved_hours} hours a week back, that's {fte} you can put on something else.",
    "Based on the {hours} hours you mentioned, the payback would land around month {payback}.",
    "So the math is {saved_hours} hours a week times {n_people} people's worth of context switching. Call it {saved_money} a year, conservatively.",
    "Let me play that back: {pain}, about {hours} hours a week. Cutting that by {pct}% pays for {product} in roughly {payback} months.",
    "If {pain} goes away, you {outcome}, and in dollars that's somewhere around {saved_money} a year.",
    "For {company}, I'd model it as {pct}% fewer hours on {pain}, which is about {saved_money} annually before you count the risk side.",
)

QUANTIFY_UNKNOWN: tuple[str, ...] = (
    "Generally, customers save about {pct}% of the time they spend on {category}.",
    "Teams typically get to ROI within {months} months.",
    "On average our customers {outcome} and save around {pct}% of the manual work.",
    "Most companies your size see about {saved_money} a year in time savings.",
    "Usually the value shows up as {pct}% less manual work within a quarter.",
    "Across our customer base it's about a {pct}% efficiency gain in year one.",
    "The typical payback is under a year, sometimes a lot faster.",
    "We see something like {saved_hours} hours a week saved for a team of {n_people}.",
)

FEATURE: tuple[str, ...] = (
    "So {product} has {feature}, {feature2}, and {feature3}.",
    "Let me show you {feature}. This is where most teams start.",
    "One of the things people love is {feature}. And we also have {feature2}.",
    "Here's {feature}. You can see everything in one place.",
    "We also just shipped {feature}, which is pretty slick.",
    "On top of that there's {feature2}, plus {feature3} out of the box.",
    "Under the hood it's {feature} and {feature2}, and it all syncs both ways with {system}.",
    "This is {feature}: you set it up once and it runs on its own.",
    "And then if you click over here, that's {feature2}.",
    "We've got {feature}, {feature2}, {feature3}, and a pretty open API for everything else.",
    "The roadmap has a lot more coming, but today you get {feature} and {feature2}.",
    "{feature_cap} is probably our most-used feature, and {feature2} is close behind.",
    "Let me share my screen. Okay, so this is {feature}.",
    "For {pain}, the relevant piece is {feature}, and {feature2} handles the rest.",
    "Since you mentioned {system}, we connect to it natively, and {feature} sits right on top.",
)

MONOLOGUE_EXTRAS: tuple[str, ...] = (
    "It also does {feature3}.",
    "There's a dashboard for that too, with filters for pretty much everything.",
    "And the admin console lets you configure basically every field.",
    "We integrate with most of the tools you'd expect, {system} included.",
    "The mobile app is honestly great as well.",
    "We've won a couple of design awards for the interface, actually.",
    "There's a lot here, so bear with me.",
    "And then there's the reporting module, which has about forty standard reports.",
    "Oh, and permissions are fully customizable, down to the field level.",
    "We also have an AI assistant now that can summarize all of it.",
    "Plus {feature2}, which I didn't even mention yet.",
    "And everything has an audit trail.",
    "We release something new basically every two weeks.",
    "So yeah, lots of functionality.",
)

SOCIAL_PROOF: tuple[str, ...] = (
    "{customer} had the same problem with {pain}. After {months} months on {product}, they'd cut it by {pct2}%.",
    "We work with a lot of {industry} teams; {customer} is probably the closest to you.",
    "One of our customers, {customer}, went live in {weeks} weeks and saved about {ref_hours} hours a week.",
    "Happy to connect you with {ref_name} at {customer}; they were in a very similar spot.",
    "{customer} switched from {competitor} last year, and their {team} team hasn't looked back.",
    "About {n_customers} {industry} companies use {product} today.",
    "There's a case study on {customer} I can send over. They handle around {ref_volume} {unit} a month, similar scale to you.",
    "Funny enough, the {title} at {customer} said almost exactly what you just did.",
    "Teams like {customer} use it for exactly this.",
    "Our customers in {industry} average a {pct2}% improvement in the first year.",
    "{customer} offered to take reference calls, if hearing it from a peer would help.",
    "We just did a review with {customer}: {pct2}% less time on {pain} and their renewal went through in a day.",
    "You'd be in good company, {customer} and a few of their peers rolled it out this year.",
)

PRICING: tuple[str, ...] = (
    "So pricing is ${price} per {price_unit} per month, billed annually.",
    "For {seats} {price_unit}s that comes to about {annual} a year.",
    "We have three tiers; based on what you've told me, you'd be on the Growth plan, which is ${price} per {price_unit}.",
    "List price would be {annual} a year for {seats} {price_unit}s, and implementation is included.",
    "Pricing is per {price_unit}, ${price} a month. At your size that's roughly {annual} a year.",
    "If you sign before the end of {quarter}, we can do {discount}% off the first year.",
    "There's a one-time onboarding fee of ${onboarding}, and then ${price} per {price_unit} per month.",
    "Ballpark, you're looking at {annual} a year, all in.",
    "The Enterprise plan adds {feature} and SSO; that's ${price_hi} per {price_unit}.",
    "We can do a two-year term at {discount}% off, which brings it to about {annual_disc} a year.",
    "For you it'd be a flat {annual} a year, and we only charge more above {seats} {price_unit}s.",
    "We price by {price_unit}: ${price} a month each. Most teams your size land around {annual}.",
)

NEXT_STEP: tuple[str, ...] = (
    "How about we set up a {weeks}-week pilot with your {team} team, starting {day} the {date}?",
    "Can we get 30 minutes on {day} at {time} with you and your {boss}?",
    "Next step I'd suggest is a technical deep dive with your IT folks. Does {day} work?",
    "I'll send over a recap and the business case today. Could we regroup {day} at {time}?",
    "Would it make sense to loop in {colleague} for a demo on {day}?",
    "Let's put a follow-up on the calendar for {date} to review the pilot results.",
    "I can have a sandbox ready by {day}. Want me to send invites to your team?",
    "How about I draft a mutual plan with dates, so we both know what happens between now and {date}?",
    "Could we book a call with your security team before {date}?",
    "I'll send the proposal by {day}; can we walk through it together on {date}?",
    "What if we did a workshop with the {team} team next {day} at {time}?",
    "Shall I send a calendar invite for {day} at {time}?",
    "Let's get your {boss} and {colleague} on a call before {date}. What does their calendar look like?",
)

NEXT_STEP_AFTER_YES: tuple[str, ...] = (
    "Great, I'll send the order form over this afternoon.",
    "Perfect. I'll get the paperwork to you today and loop in our onboarding team.",
    "Awesome. Expect the agreement in your inbox by {day}.",
    "Love it. I'll set up a kickoff for {date} and send the contract tonight.",
    "Great, I'll introduce you to your onboarding lead and send the DocuSign.",
    "Perfect, I'll send the contract and a kickoff invite for {day}.",
    "Sounds good, I'll get legal to send the MSA over today.",
    "Amazing. I'll draft the order form for {seats} {price_unit}s and send it right after this.",
)

CLOSE: tuple[str, ...] = (
    "So, are you ready to move forward?",
    "Based on everything, can we get the agreement signed this week?",
    "If I send the contract today, can you sign by {day}?",
    "Is there anything stopping us from getting started?",
    "Can I count on you as a yes for {quarter}?",
    "Shall we go ahead and get you set up?",
    "Would you like to go with the annual plan?",
    "What do you say we get the paperwork going?",
    "If we hold the {discount}% discount, can you commit by the end of the month?",
    "Are you comfortable issuing a PO this month?",
    "So can we call it a deal?",
    "I'd love to get you live by {date}. Can we get the order form signed?",
    "Honestly, I think this is a fit. Want to lock it in?",
)

OBJECTION_ACK: tuple[str, ...] = (
    "That's a fair concern.", "I hear you.", "Totally get that.", "Good question.", "Yeah, that comes up a lot.",
    "Appreciate you being upfront about that.", "Makes sense.", "Fair enough.", "Of course.",
    "No, that's a really good point.", "Totally reasonable.", "Yeah, I'd be asking the same thing.",
)

HANDLE: dict[str, tuple[str, ...]] = {
    "price": (
        "If you look at it against the {saved_money} in time saved, it pays for itself in about {payback} months.",
        "We can phase it: start with the {team} team and expand once you see results.",
        "There's flexibility on term; a two-year commitment gets you {discount}% off.",
        "Compared to what {status_quo} costs you in hours every week, it's actually the cheaper option.",
        "Let's look at what's driving the number. You might not need every module on day one.",
        "I can put together a business case your {boss} can take to finance.",
        "Most customers fund it out of the savings on {pain}.",
        "We also offer quarterly billing if cash flow is the concern.",
        "What number would you need to see for this to work?",
    ),
    "timing": (
        "What if we ran a {weeks}-week pilot now so you're ready when the {quarter} budget opens?",
        "Implementation is about {weeks} weeks, so starting in {month} means you're live before things get busy.",
        "What would need to be true for this to move up the list?",
        "The cost of waiting is roughly {saved_hours} hours a week, so every month counts.",
        "Let's set a date to revisit rather than leave it open.",
        "We can do the setup work in the background so your team isn't pulled off anything.",
        "Is it the timing of the budget, or the bandwidth of the team?",
        "Happy to hold pricing through {quarter} so the timing doesn't cost you anything.",
    ),
    "authority": (
        "Who else would need to weigh in, and what will they care about most?",
        "Would it help if I joined that conversation with your {boss}?",
        "I can put together a one-page summary you can forward.",
        "What does the approval process usually look like for something like this?",
        "Should we get your {boss} on a 20-minute call next week?",
        "Happy to help you make the case internally. What questions do you think they'll ask?",
        "Let's map out who signs off. Is it procurement, finance, or both?",
        "I'll send a short deck with the numbers we discussed so you're not starting from scratch.",
    ),
    "need": (
        "You mentioned {pain}; that's exactly where teams see the difference.",
        "Let me ask it differently: what would it be worth to get {hours} hours a week back?",
        "If things are working, maybe it's not the right time. Can I ask how you handle {pain} today?",
        "The teams that didn't think they needed it usually found {pain} was costing more than they thought.",
        "Let's test that. If we can't show a {pct}% improvement in the pilot, you walk away.",
        "What would have to break for this to be a priority?",
        "Here's where it usually matters: it lets you {outcome}.",
        "{status_quo_cap} works until volume grows, and you're at {volume} {unit} a month already.",
    ),
    "competitor": (
        "The main difference from {competitor} is {feature}, which they don't do natively.",
        "{competitor} is a solid product. Where we tend to win is {feature} and time to value.",
        "Happy to do a side-by-side. People who switched from {competitor} mostly mention support and {feature}.",
        "What do you like about {competitor} so far?",
        "{customer} evaluated {competitor} too and went with us because of {feature2}.",
        "We're usually about {weeks} weeks faster to roll out than {competitor}.",
        "If you're already on {competitor}, we migrate your data for free.",
        "I'd look closely at how each of us handles {pain}; that's where the difference shows.",
    ),
}

PREEMPT: dict[str, tuple[str, ...]] = {
    "price": ("You might be wondering about cost. ", "Before you ask about budget: ", "On price, quickly: "),
    "timing": ("One thing teams worry about is timing. ", "If you're wondering about rollout time: ",
               "People ask if now is the right moment. "),
    "authority": ("Usually finance wants to weigh in on this, so ", "Thinking ahead to who signs off: ",
                  "When you take this to your {boss}, "),
    "need": ("Some teams ask whether they really need this. ", "A fair question is whether it's worth it. ",
             "If you're asking yourself why change anything: "),
    "competitor": ("A lot of teams ask how we compare to {competitor}. ", "You might be looking at {competitor} too. ",
                   "Since {competitor} comes up a lot: "),
}

IGNORE_BRIDGE: tuple[str, ...] = (
    "Sure, we can get to that later. ", "Totally. Anyway, ", "Right, right. So, ", "Let's park that for a sec. ",
    "Yeah, good point. Moving on, ", "Sure. But ", "We'll circle back. ", "Okay. ", "Noted. So, ", "",
)

ACK_AFTER: dict[str, tuple[str, ...]] = {
    "pain": (
        "Got it.", "That's a common one.", "Ugh, yeah, I hear that a lot.", "Okay, that's really helpful.",
        "Makes sense.", "Oof.", "Right, that's painful.", "Interesting.", "Okay, thanks for sharing that.",
        "Yeah, you're not alone there.",
    ),
    "deflect": ("Fair enough.", "Okay, no worries.", "Sure.", "Got it.", "Okay.", "Understood."),
    "signal": ("Great to hear.", "Perfect.", "Good to know.", "Love that.", "Okay, great.", "That helps."),
    "greeting": ("Great.", "Awesome.", "Good, good.", "Glad to hear it.", "Ha, same here.", "Okay, great."),
    "ack": ("So ", "And ", "Okay, so ", "Cool. ", "Right. ", ""),
    "backchannel": ("And ", "So ", "Then ", "Also, ", "", ""),
    "resolved": ("Great.", "Glad that helps.", "Perfect.", "Okay, good.", "Awesome."),
    "unconvinced": ("Understood.", "Fair.", "I get it.", "Okay.", "Sure."),
    "tentative": ("No problem.", "Sure thing.", "Of course.", "Totally fine."),
    "agree_next_step": ("Great.", "Perfect.", "Awesome.", "Wonderful."),
}

QUESTION_ANSWER: dict[str, tuple[str, ...]] = {
    "integration": (
        "Yes, we integrate with {system} natively.", "Yep, there's a {system} connector and an open API.",
        "Good question, we sync with {system} both ways.", "Yes, setup with {system} takes about a day.",
    ),
    "security": (
        "We're SOC 2 Type II and {reg}-ready, and I can send the report.", "Data's hosted in the US or EU, your call.",
        "Yes, SSO and role-based permissions are standard.", "Happy to send our security pack after this.",
    ),
    "onboarding": (
        "Typical rollout is {weeks} weeks.", "We do most of the setup; you'd need maybe two hours a week from someone.",
        "There's a dedicated onboarding lead for the first {months} months.", "Training is live plus recorded.",
    ),
    "support": (
        "Support is 24/7 on chat, and you'd get a named CSM.", "Median response time is under an hour.",
        "You'd have a dedicated success manager.", "Yes, phone support is included at your tier.",
    ),
    "reporting": (
        "Yes, you can slice everything by team.", "There's a BI export and a {system} connector.",
        "Yep, dashboards for leadership are built in.", "You can schedule reports to your {boss} weekly.",
    ),
    "contract": (
        "It's annual, billed quarterly if you prefer.", "Minimum term is twelve months.",
        "You can start small and add seats anytime.", "Yes, multi-year gets a discount.",
    ),
}

CHECK_IN: tuple[str, ...] = (
    " Does that make sense?", " How does that land?", " Is that relevant for you?", " Thoughts?",
    " Does that match what you're seeing?", " Am I on the right track?", " Would that help?",
    " What do you think?", " Is that the kind of thing you had in mind?",
)
