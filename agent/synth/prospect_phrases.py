"""What the prospect says, per response intent and length ("short", "medium", "long"). Long turns are a medium
core plus one or two elaborations; how engaged the prospect is shows in an opener now and then and, more
often, in a remark on how they feel about it (TONE); how much a pain hurts, in PAIN_SEVERITY."""

from __future__ import annotations

GREETING: dict[str, tuple[str, ...]] = {
    "short": (
        "Hi {rep}.", "Hey, good, thanks.", "Hi. Yeah, go ahead.", "Morning.", "Sure, hi.", "Hey {rep}.",
        "Yep, I can hear you.", "Doing okay.", "Hi, thanks.", "Hello.", "Hey. Fine, thanks.",
    ),
    "medium": (
        "Hi {rep}, doing well, thanks. Busy week but good.", "Hey, thanks for setting this up.",
        "Good, good. Happy to chat.", "Hi! Yeah, all good here. Thanks for reaching out.",
        "Doing fine, thanks. Let's get into it.", "Hey {rep}. Sorry, I'm a couple minutes late, back-to-back day.",
        "Hi, yes, I can hear you fine. How are you?", "Hey, glad we could make the time work.",
        "Not bad, not bad. It's been a long {day}.",
    ),
    "long": (
        "Hi {rep}, thanks for setting this up. We've been talking about {category} internally for a while, so the timing is good.",
        "Hey! Doing well. I'll be honest, I've heard good things about {product} from {colleague} on our {team} team.",
        "Good morning. We're in the middle of planning for next year, so this is a good moment to look at {category}.",
        "Hi {rep}. Happy to be here. I looked at your site a bit, so I have a rough idea of what you do.",
        "Hey, doing great, thanks. I've got {colleague} sitting next to me too, but I'll do most of the talking.",
        "Hi, yes, all good. We actually tried to fix {category} ourselves last year, so I'm curious what you've got.",
    ),
}

HELLO: tuple[str, ...] = (
    "Hi, can you hear me?", "Hey, sorry, I'm a minute late.", "Hello? Are you there?", "Hi {rep}, is this the right link?",
    "Hey. Give me one second, I'm just closing my other window.", "Hi! Sorry, my camera's off today.",
    "Hey {rep}.", "Hello, {prospect} here.",
)

SMALL_TALK: tuple[str, ...] = (
    "Ha, yeah.", "No, not this year, unfortunately.", "About three years now.", "Ha, thanks.",
    "It's been a lot, yeah.", "Maybe, we'll see if I can get away.", "Ha, it's raining, as usual.",
    "Yeah, tell me about it.", "Oh nice, small world.", "Ha. Anyway.",
)

BUSY: tuple[str, ...] = (
    "I've got about {mins} minutes, so let's keep it tight.", "Heads up, I have a hard stop at the half hour.",
    "Let's be quick, I'm between meetings.", "I only have {mins} minutes today.",
)

PAIN: dict[str, tuple[str, ...]] = {
    "short": (
        "Mostly {pain}.", "Honestly? {pain_cap}.", "{pain_cap}, mainly.", "I'd say {pain}.", "Probably {pain}.",
        "It's {pain}, really.", "{pain_cap}. That's the big one.", "Uh, {pain}, I guess.", "{pain_cap}, for sure.",
    ),
    "medium": (
        "The biggest headache right now is {pain}. It's eating a lot of the team's time.",
        "Honestly, {pain}. We've talked about fixing it for a year.",
        "For us it's {pain}. Every {day} it's the same fire drill.",
        "Right now it's mostly {status_quo}, and the problem is {pain}.",
        "The thing that keeps coming up is {pain}. My team complains about it constantly.",
        "We're dealing with {pain}, and it gets worse as we grow.",
        "I'd say {pain} is the main one.",
        "Where it breaks is {pain}. We patch it with {status_quo}.",
        "It's {pain}. Nobody really owns it, so it just sort of happens.",
        "A lot of {pain}, if I'm honest.",
    ),
}

PAIN_DETAIL: tuple[str, ...] = (
    " We lose maybe {hours} hours a week on it.",
    " That's across {n_people} people on the {team} team.",
    " And we're doing {volume} {unit} a month now, up from maybe half that last year.",
    " We tried {competitor} a while back, but it didn't stick.",
    " I'd guess it's {hours} hours a week, maybe more at month end.",
    " And with {reg} we have to get it right.",
    " Most of it lands on {colleague}'s desk.",
    " It's been that way since before I joined.",
)

# How much the pain hurts, as the prospect tells it (buyer.pain_severity: the hidden fit, seen through noise).
PAIN_SEVERITY: dict[str, tuple[str, ...]] = {
    "mild": (
        "It's not a disaster, but it's annoying.", "It's more of an annoyance than a real problem.",
        "Honestly, we live with it.", "It's on the list, but not near the top.", "It only bites now and then.",
        "We've learned to work around it.", "I wouldn't call it urgent.", "Nobody's losing sleep over it.",
        "It would be nice to fix, I suppose.", "It's a small thing, really.",
        "If it stayed like this another year, we'd survive.", "It's not what keeps me up at night.",
    ),
    "moderate": (
        "It's a real issue, but we cope.", "It's something we'd like to fix this year.", "It adds up over a month.",
        "It's one of a few things on our list.", "It slows us down more than I'd like.",
        "It's worth fixing if the fix is simple.", "It's not the end of the world, but it's not great either.",
        "We'd fix it if we found the right thing.", "Some weeks are worse than others.",
        "It's a middle-of-the-list problem.",
    ),
    "acute": (
        "It's costing us real money.", "Our {boss} wants it fixed before {quarter}.",
        "It's honestly the reason I took this call.", "It came up in our last leadership meeting, actually.",
        "We can't keep going like this.", "Last {month} it got bad enough that we had to bring in temps.",
        "It's the top item on my list this quarter.", "If we don't fix it soon, we'll have to hire for it.",
        "It's hurting our numbers, no question.", "People have quit over it, honestly.",
        "We've had customers complain because of it.", "I've been asked to fix it, full stop.",
    ),
}

DEFLECT: dict[str, tuple[str, ...]] = {
    "short": (
        "It's fine, I guess.", "Nothing major, honestly.", "Hard to say.", "We get by with {status_quo}.",
        "I mean, it works.", "Not sure, I'd have to check with the team.", "Things are okay right now.",
        "It depends.", "Nothing I'd call a problem.", "We're managing.", "Eh, it's alright.",
    ),
    "medium": (
        "Honestly, it's not something we spend a lot of time thinking about. {status_quo_cap} does the job.",
        "I don't really know the details of that, {colleague} would know better.",
        "It's okay. There are things I'd change, but nothing urgent.",
        "We've been using {status_quo} for years and it's mostly fine.",
        "I'm not sure I'd call it a pain point, to be honest.",
        "Depends who you ask. From where I sit it's fine.",
    ),
}

OBJECTION: dict[str, dict[str, tuple[str, ...]]] = {
    "price": {
        "short": ("That's a lot.", "Pricey.", "Hm, that's more than we budgeted.", "That's steep.",
                  "Too expensive for us.", "Ouch.", "That's high."),
        "medium": (
            "That's more than I was expecting, to be honest.",
            "We don't have budget for something at that price this year.",
            "{competitor} quoted us quite a bit less.",
            "I'm not sure I can justify that number internally.",
            "That's a big number for a tool like this.",
            "Honestly, price is going to be the sticking point.",
            "What's the cost going to look like once we add more {price_unit}s? That's my worry.",
        ),
    },
    "timing": {
        "short": ("Not right now.", "Maybe next quarter.", "Timing's bad.", "We're slammed right now.",
                  "Not this year.", "Later, maybe."),
        "medium": (
            "Honestly, the timing isn't great. We're in the middle of a reorg.",
            "This probably isn't a priority until {quarter}.",
            "We've got a big migration going on, so I don't see us taking this on before {month}.",
            "We're heads-down on year-end, can we revisit later?",
            "I like it, but my team has no bandwidth until {month}.",
            "We just renewed with our current vendor, so it would be next year at the earliest.",
        ),
    },
    "authority": {
        "short": ("It's not my call.", "I'd need to check with my boss.", "That's above me.",
                  "I'd have to run it by our {boss}.", "Not my budget."),
        "medium": (
            "I'd have to run this by our {boss}; they sign off on anything like this.",
            "I'm not the decision maker here, I'm just gathering options.",
            "Procurement will need to get involved before anything happens.",
            "Any new vendor goes through a committee, and they only meet monthly.",
            "I can recommend it, but {colleague} owns the budget.",
            "Legal and security both have to review it first.",
        ),
    },
    "need": {
        "short": ("Not sure we need it.", "We're fine as is.", "Seems like overkill.", "Don't see the need.",
                  "We have something for that."),
        "medium": (
            "Honestly, I'm not convinced we need this. {status_quo_cap} works okay for us.",
            "It's nice, but it feels like a nice-to-have, not a must-have.",
            "I'm not sure it solves a big enough problem for us.",
            "We're a pretty small team, I don't know if we'd use half of this.",
            "I don't see how this is different from what we have.",
            "It looks great for bigger companies, but we're not there.",
        ),
    },
    "competitor": {
        "short": ("We're looking at {competitor} too.", "{competitor} does that.", "We already use {competitor}.",
                  "How's this different from {competitor}?"),
        "medium": (
            "We're also talking to {competitor}, and they seem to do most of this.",
            "{competitor} gave us a demo last week and it looked pretty similar.",
            "We already pay for {competitor}, so I'd need a reason to switch.",
            "One of my old colleagues swears by {competitor}.",
            "Honestly, {competitor} is cheaper and we know them.",
            "Our IT team already has a relationship with {competitor}.",
        ),
    },
}

PRICE_EARLY: dict[str, tuple[str, ...]] = {
    "short": ("Budget's tight this year.", "Cost is going to matter.", "We don't have much budget.",
              "How much is this, roughly?", "Is this expensive?"),
    "medium": (
        "I should say up front, budget is really tight this year.",
        "Before we go further, what does this cost? We're watching every dollar.",
        "Honestly, anything new has to be cheap or it won't get approved.",
        "Tools like this are usually pricey, and we don't have a line item for it.",
        "Our last vendor raised prices on us, so I'm wary of cost.",
    ),
}

OBJECTION_DETAIL: tuple[str, ...] = (
    " Our {boss} is going to ask why we can't keep using {status_quo}.",
    " We're under a spending freeze until {quarter}, so anything new gets a lot of scrutiny.",
    " I just don't want to sign up for something the team won't use.",
    " We've been burned by tools like this before.",
    " And we're stretched thin as it is.",
    " I'd need a really good reason to push this internally.",
    " I'm being straight with you because I don't want to waste your time.",
)

SIGNAL: dict[str, tuple[str, ...]] = {
    "budget": (
        "We do have budget set aside for this.", "Budget's there.",
        "We have budget earmarked for {category} this year, around {budget}.",
        "Finance already approved something in this range for {quarter}.",
        "Budget shouldn't be the issue if the numbers hold up.",
        "We set aside money for this in the {quarter} plan.",
        "Cost-wise, that's within what we planned.",
        "Honestly, that's in line with what we expected to spend.",
        "That's doable for us.",
    ),
    "timeline": (
        "We'd want something live by {date}.", "Ideally we'd start in {month}.",
        "We're hoping to decide in the next {weeks} weeks.",
        "Our contract with {competitor} runs out in {month}, so the timing works.",
        "Our busy season starts in {month}, so we'd need to be up and running before then.",
        "If we do this, it has to be this quarter.",
        "We want to have it sorted before {quarter}.",
    ),
    "decision_maker": (
        "I'm the one who signs off on this.", "It'd be me and our {boss}, that's it.",
        "I own the budget for {team} tools.", "My {boss} already asked me to find something like this.",
        "If I'm sold, it's pretty much a done deal.", "I'd bring {colleague} in from IT, but it's my decision.",
        "I have sign-off up to about {budget}.",
    ),
    "next_step": (
        "What would the next step look like?", "Can you send me something I can share with the team?",
        "Could we set up a trial?", "How fast could we get started?", "I'd like my team to see this.",
        "What do you need from us to get a pilot going?", "Can we get a sandbox to play with?",
        "What does onboarding look like if we go ahead?",
    ),
}

QUESTION: dict[str, tuple[str, ...]] = {
    "integration": (
        "Does it integrate with {system}?", "How does the data get in, is there an API?",
        "Would it work with our SSO?", "Do you have a {system} connector, or is that custom work?",
        "We're pretty deep on {system}. How would that work?",
    ),
    "security": (
        "Where is the data hosted?", "What about {reg}? And are you SOC 2?",
        "What does your security review process look like?", "Can we control who sees what?",
        "Has your product ever had a breach?",
    ),
    "onboarding": (
        "How long does implementation usually take?", "Who does the setup, you or us?",
        "What's the training like for the team?", "How much of my team's time would the rollout take?",
        "How long until people actually use it?",
    ),
    "support": (
        "What does support look like, is it 24/7?", "Do we get a dedicated CSM?",
        "What happens when something breaks at two in the morning?", "Is support included or extra?",
    ),
    "reporting": (
        "Can I get a report on {unit} by team?", "Can we export the data to our BI tool?",
        "Is there a dashboard for my {boss}?", "Can I see trends over time?",
    ),
    "contract": (
        "Is that annual or monthly?", "Is there a minimum term?", "Can we start small and add {price_unit}s later?",
        "Are there discounts for multi-year?", "What's included in implementation?",
        "Is there an exit clause if it doesn't work out?",
    ),
}

ACK: dict[str, tuple[str, ...]] = {
    "low": ("Okay.", "Sure.", "Right.", "Mm.", "Uh-huh.", "I see.", "Alright.", "Hm, okay.", "Fine."),
    "medium": (
        "Okay, that's interesting.", "Got it, that makes sense.", "Yeah, I can see that.", "Okay. Keep going.",
        "Right, okay.", "Hm, okay. I'd have to see it in action.", "Sure. That's helpful.", "Got it.",
        "Cool, that's useful to know.", "Makes sense.", "Interesting.",
    ),
    "high": (
        "Oh nice, that's actually really useful.", "Oh, that would save us a ton of time.", "That's pretty cool.",
        "Wow, okay, that's a lot faster than what we do.", "Okay, I like that.", "That's exactly what we need, honestly.",
        "Huh, I didn't know you could do that.", "Nice. {colleague} would love that.", "Oh, that's smart.",
    ),
}

BACKCHANNEL: tuple[str, ...] = (
    "Mm-hm.", "Yeah.", "Uh-huh.", "Right.", "Okay.", "Sure.", "Yep.", "Mm.", "Go on.", "Yeah, yeah.",
)

RESOLVED: dict[str, tuple[str, ...]] = {
    "short": ("Okay, that helps.", "That's fair.", "Fair enough.", "Okay, good point.", "That's reasonable.",
              "Alright.", "Hm, okay."),
    "medium": (
        "Alright, that makes me feel better.", "Yeah, I can take that back to the team.",
        "Huh, I didn't know that. Okay.", "Okay, that's a good point, actually.",
        "That addresses most of it, I think.", "Okay, if that's the case it's less of a concern.",
        "Fair enough, that works for me.",
    ),
}

RESOLVED_DETAIL: tuple[str, ...] = (
    " If the numbers hold up, I think I can sell that internally.", " Let me think about it, but that helps.",
    " Send me that in writing and I'll share it.", " That was my main worry, honestly.",
    " I'll still need to check with {colleague}.",
)

UNCONVINCED: dict[str, tuple[str, ...]] = {
    "short": ("Maybe.", "Hm, I don't know.", "We'll see.", "That's what everyone says.", "I guess."),
    "medium": (
        "I hear you, but I'm still not sure.", "Maybe. I'd need to see it to believe it.",
        "I get it, but {concern}.", "Hm. Honestly, {concern}.", "That's fair, but {concern}.",
        "I understand. Still, {concern}.",
    ),
}

CONCERN: dict[str, tuple[str, ...]] = {
    "price": ("the price is still the problem", "it's still a lot of money for us", "the number hasn't changed"),
    "timing": ("the timing still doesn't work", "we just don't have the bandwidth", "it's still a next-year thing"),
    "authority": ("it's still not up to me", "I'd still need {boss} to agree", "it has to go through procurement anyway"),
    "need": ("I'm still not sure we need it", "I don't see the problem being big enough", "what we have works"),
    "competitor": ("{competitor} still looks like the safer bet", "{competitor} does most of this already",
                   "switching from {competitor} is a lot of work"),
}

AGREE_NEXT_STEP: tuple[str, ...] = (
    "Sure, {day} at {time} works.", "Yes, let's do it. Send the invite.", "That works. I'll bring {colleague}.",
    "Sounds good. {day} is good for me.", "Yeah, a pilot makes sense.", "Okay, let's set it up.",
    "Sure, I can make {day} work.", "Great, put something on the calendar.", "Yes. Send me a few times.",
    "Let's do {day}. Mornings are better for me.", "Works for me. I'll loop in our {boss} too.",
)

TENTATIVE: tuple[str, ...] = (
    "Let me check my calendar and get back to you.", "Maybe. Send me an email and I'll see.",
    "I'd have to check with the team first.", "Can we leave it open for now?", "Possibly. Things are hectic.",
    "Let me think about it.", "Send me some info and I'll circle back.", "I'll have to see what {day} looks like.",
    "Not sure yet. Can you follow up next week?", "Hm, I'll let you know.",
)

# A buyer's decision is said in parts (template-v3): sometimes a lead-in, always the decision itself, and, in longer
# turns, what follows from it (an acceptance) or why (a refusal). Real buyers decide in many words, so no handful
# of fixed sentences stands for a decision.
ACCEPT_LEAD: tuple[str, ...] = (
    "Okay.", "Alright.", "Yes.", "Yeah.", "You know what,", "Honestly,", "Good.", "Right,", "Sure.", "Great.",
    "I think so, yes.", "Fine,", "Look,", "I've thought about it and", "Alright, you've convinced me.",
)

ACCEPT_CLOSE: tuple[str, ...] = (
    "Let's do it.", "We're in.", "Let's move forward.", "We'd like to go ahead with {product}.",
    "We'll go with {product}.", "Send the contract over.", "Send me the order form and I'll get it signed.",
    "I'll get the PO started.", "Count us in.", "I'm ready to sign.", "You've got yourself a deal.",
    "Let's make it official.", "We've decided to buy.", "We can commit to the {seats} seats.", "We'll take it.",
    "I'll approve it on our side.", "Let's get the paperwork going.", "I can sign off on {annual}.",
    "Put us down for it.", "We want to get started.", "Let's get it done.", "We're ready to go ahead.",
    "I'll sign this week.", "Go ahead and draw up the agreement.",
)

ACCEPT_NEXT: tuple[str, ...] = (
    "What do you need from me?", "Let's aim for {date}.", "I'll loop in procurement to process it.",
    "Legal will want to look at the MSA first.", "Can we start onboarding in {month}?",
    "Who should the signed copy go to?", "I'll let {colleague} know today.",
    "My {boss} already signed off on the budget.", "I want the {team} team on it by {month}.",
    "Send the invoice to our accounts payable.", "Get me the final numbers and we'll sign.",
    "How soon can your team get us set up?",
)

DEFER_CLOSE: dict[str, tuple[str, ...]] = {
    "authority": (
        "I can't sign that myself, it has to go to our {boss}.", "Let me take it to our {boss} first.",
        "I need to run it through procurement.", "I'd have to get sign-off from finance.",
        "That's {colleague}'s call in the end.", "Not without the committee, unfortunately.",
        "It's not my budget, so our {boss} decides.", "I'll need {colleague} to agree before anything is signed.",
        "Anything over {annual} goes to our {boss}.", "Procurement has to see it before I can say yes.",
    ),
    "timing": (
        "Not this week. Maybe after {month}.", "Let's revisit at the end of the quarter.",
        "I'm not ready to commit yet.", "Give me a couple of weeks.", "Can we talk again in {month}?",
        "Too early for that, I think.", "We're mid-budget cycle, so not before {quarter}.",
        "Let's pick this up after our planning in {month}.", "I need a few more weeks with it.",
        "Ask me again once we've finished the pilot.",
    ),
}

REJECT_LEAD: tuple[str, ...] = (
    "Honestly,", "Look,", "To be straight with you,", "I'll be frank.", "Sorry,", "I appreciate the time, but",
    "Thanks, but", "I've thought about it and", "No.", "Hm.", "I have to be honest,", "I'm afraid",
    "Yeah, no.", "Okay, so",
)

REJECT_CLOSE: tuple[str, ...] = (
    "I don't think it's a fit right now.", "We're not going to move forward.", "I'm going to pass for now.",
    "We won't be buying this.", "It's a no from us.", "We're going to stick with what we have.",
    "I don't see us going ahead.", "We've decided not to do this.", "This isn't for us.",
    "We'll stay with {status_quo}.", "We're staying with {competitor}.", "I can't say yes to this.",
    "We're not signing anything.", "It's not going to happen this year.", "We'll leave it here.",
    "I'm not taking this to my {boss}.", "There's no deal here for us.", "We won't go ahead with {product}.",
    "No, sorry. Not right now.", "I don't think we're there, and I don't think we will be.",
)

REJECT_WHY: tuple[str, ...] = (
    "It's more than we can spend.", "The price is too high for what we'd get.", "It doesn't solve enough for us.",
    "We just don't have the budget.", "The switch would cost us more than it saves.",
    "{status_quo_cap} does the job well enough.", "The team has no appetite for another tool.",
    "{competitor} already covers most of it.", "It's not a priority for us.", "I don't see the return.",
    "Our {boss} wouldn't approve it.", "The timing is wrong and I don't see that changing.",
)

END_CALL: tuple[str, ...] = (
    "Sorry, I have to jump to another call.", "I need to run. Just send me an email.",
    "I've got to drop, something came up.", "Let's cut it here, I'm out of time.",
    "Can you send me something in writing? I have to go.",
    "Apologies, I'm getting pulled into something. Let's follow up by email.",
    "Sorry {rep}, I have to hop. Email me.",
)

GOODBYE: tuple[str, ...] = (
    "Thanks, you too.", "Bye!", "Talk soon.", "Thanks {rep}.", "Great, thanks.", "Cheers.", "Have a good one.",
    "Thank you, bye.", "Sounds good, bye.", "Take care.", "Thanks, talk then.",
)

OPENER: dict[str, tuple[str, ...]] = {
    "low": ("Hm. ", "Look, ", "Well, ", "Yeah, I mean, ", "Okay, but ", "I don't know, "),
    "medium": ("So ", "Yeah, ", "Okay, ", "Right, ", "I mean, "),
    "high": ("Oh, ", "Yeah! ", "Honestly, ", "Oh totally, ", "Yes, and ", "Ha, yeah. "),
}

# How the prospect feels about what they hear, said in so many words (the engagement level of the turn).
TONE: dict[str, tuple[str, ...]] = {
    "low": (
        "I'm not sure this is a priority for us right now.", "I'll be honest, I'm not convinced yet.",
        "We've got a lot of other things going on.", "I don't really see us changing anything this year.",
        "It's hard to justify another tool.", "I'm a bit skeptical, to be honest.",
        "We've heard pitches like this before.",
        "I'm not sure it's worth the switch.", "{status_quo_cap} is working well enough for now.",
        "I'd need a lot more to get excited about it.", "Not sure my {boss} would care much.",
        "Let's not get ahead of ourselves.", "I'm just not seeing it for us yet.", "It feels like a lot of effort.",
    ),
    "medium": (
        "Makes sense so far.", "I'm following.", "Okay, I can see how that works.", "Fair enough.",
        "I'd want to think about it.", "It's worth a look, I suppose.", "Let's see how it goes.",
        "That's good to know.", "I'm keeping an open mind.", "We'll see.", "I'd have to check a few things.",
        "Could be useful.", "I'd need to run it by {colleague}.", "No strong feelings either way yet.",
    ),
    "high": (
        "This is exactly the kind of thing we need.", "I really like where this is going.",
        "That would make a real difference for us.", "Honestly, I'm excited about this.",
        "I can already see {colleague} using this.", "This could fix a lot for the {team} team.",
        "I want to move on this.", "This is the best thing I've seen on {category} so far.",
        "Don't get me wrong, I like what I see.", "I'd love to get this in front of my {boss}.",
        "This feels like a good fit for us.", "We need something like this, and soon.",
        "I'm pretty keen, to be honest.", "This is the conversation I was hoping to have.",
    ),
}
