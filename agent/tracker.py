"""The deal-qualification tracker: what a call has established, item by item, and who established it.

Items: budget, decision (maker and process), timeline, next_step, pain, competitor, champion, and the
objections. Each item has a state — not_raised, asked (the rep raised it and the buyer has not settled it),
answered, agreed, negative (the buyer closed it: no budget this year, a refused next step) — with the turn
and speaker that established it. Objections are a list, each open until the buyer says it is answered.

It reads the call speaker by speaker: a rep's question, assertion or proposal only ever makes an item
`asked`; the buyer's reply to it decides (accepted, refused, deferred, answered). Huddle notes are the
rep's account of the buyer, so a note line counts as the buyer's words unless it reports what the rep did
("suggested a call, he said he'd check his calendar": the rep's part, then the buyer's).

A buyer's turn is read with the rep's turn before it: a short reply answers the question the rep asked ("Q3."
after "when do you need it live?"), unless that turn was itself the rep's answer to the buyer's question; a price
stays on the table while the buyer asks about it; an "okay" that only takes the turn before a question or a
condition accepts nothing.

Readable patterns do most of the work; where a turn's embedding is given, its similarity to labelled
example phrasings (tracker_phrases.json, thresholds measured on the tune split of
benchmarks/data/coaching) catches objections and pains the patterns do not spell out, and the turn reader
(agent.turn_reader) reads the other items a buyer's turn settles in words no pattern has.

Tips, thread answers and swing-moment reasons all read this one record, so they cannot disagree.
"""

from __future__ import annotations

import importlib.resources
import json
import re
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

from salesrl.agent.caseless import Caseless
from salesrl.agent.turn_reader import DEFAULT_DIR as DEFAULT_READER_DIR
from salesrl.agent.turn_reader import TurnReader
from salesrl.agent.types import Turn

if TYPE_CHECKING:
    from salesrl.agent.embedder import Embedder

ITEMS: tuple[str, ...] = ("budget", "decision", "timeline", "next_step", "pain", "competitor", "champion",
                          "objection")
QUALIFYING: tuple[str, ...] = ("budget", "decision", "timeline")
# A later statement replaces an earlier one unless it says less: an answer does not undo an agreement, a
# question does not undo an answer. Answered and negative are level, so the latest of them stands.
_RANK = {"not_raised": 0, "asked": 1, "answered": 2, "negative": 2, "agreed": 3}


def _rx(pattern: str) -> Caseless:
    """Case-insensitive (agent.caseless: the same answers as re.IGNORECASE, a fraction of its cost)."""
    return Caseless(pattern)


_MONTH = (r"(?:january|february|march|april|(?-i:May)|june|july|august|september|sept|october|november|december|"
          r"jan|feb|mar|apr|jun|jul|aug|sep|oct|nov|dec)\b")
# a day of the month in words, "ninth", "twenty-first"
_ORDINAL = (r"(?:(?:(?:twenty|thirty)[- ])?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|tenth|"
            r"eleventh|twelfth|\w+teenth|twentieth|thirtieth)")
# an amount of money: "$40k", "€ 9,000", "forty thousand", "twenty-eight hundred", "12 lakhs"
_MONEY = (r"(?:[$€£]\s?\d|\d[\d,.]*\s?(?:k|m)\b|\d[\d,.]* (?:dollars|euros?|pounds|grand)\b|"
          r"\w+(?:[- ]\w+)? (?:hundred|thousand|grand|million|lakhs?)\b)")
_DATE = _rx(rf"\b(?:today|tonight|tomorrow|this week|next week|monday|tuesday|wednesday|thursday|friday|{_MONTH}|"
            r"(?:mon|tues?|wed|thu(?:rs?)?|fri)\b|\d{1,2}(?::\d\d)? ?(?:am|pm|a\.m\.|p\.m\.)|"
            r"\d{1,2}(?:st|nd|rd|th)\b|the (?:first|\d{1,2}(?:st|nd|rd|th)?)\b|by the \d|"
            rf"(?:on|by|for|before|until|from) the {_ORDINAL}\b|the {_ORDINAL} of)")

# The buyer's side (a prospect's turn or a note line), item by item, strongest state first: the first
# state whose pattern matches is the turn's state for that item.
_BUYER: dict[str, list[tuple[str, Caseless]]] = {
    "budget": [
        ("asked", _rx(r"no budget (?:\w+ )?yet|budget (?:is )?(?:unclear|tbd|unknown)")),
        ("negative", _rx(r"no budget|budget (?:\w+ ){0,5}(?:locked|cut|frozen|gone)|no (?:new )?(?:\w+ )?spend|"
                         r"no (?:money|funds?)\b|no \$|"
                         r"not this year|can'?t afford|(?:hiring|budget|spending) freeze")),
        ("agreed", _rx(r"budget (?:is |was |already )?(?:approved|signed off)|have budget|approved budget|"
                       r"finance (?:has |have )?(?:signed off|approved)|in (?:my|our|the) forecast|"
                       r"(?:price|pricing|quote) (?:is |was )?accepted|"
                       r"comfortable approving|in line with what we budgeted|same (?:price|terms)|"
                       r"\bpaid,|(?:pilot|it|this) (?:is )?paid\b|"
                       r"\bPO\b|purchase order|budget already in|get it signed|board approved|"
                       r"signed off (?:on )?(?:the )?(?:spend|budget|money|purchase|cost)|"
                       r"(?:money|funds?|funding|budget) (?:\w+ ){0,3}(?:is |are |was )?already (?:in|there|approved|"
                       r"set aside|allocated|earmarked)")),
        ("answered", _rx(r"budget(?:ed)? (?:line )?(?:exists|is set|of|for this|for exactly)|\bbudgeted\b|"
                         r"in the \w+ budget|budget (?:is|of) (?:\w+ ){0,2}(?:\$|\d|\w+ thousand)|"
                         r"set aside|allocated|\bgrant\b|(?:money|funds?|spend) (?:would |will )?come out of|"
                         r"(?:kept|earmarked|reserved|put) (?:about |around |roughly )?(?:\$|\d|\w+ (?:thousand|lakhs?|k)\b)|"
                         r"(?:thinking|expecting|hoping) (?:closer to|around|about)|"
                         # a price set against what they planned: "about what we had in mind"
                         r"(?:what|where) (?:we|I)(?:'?d| had)? (?:had in mind|expected|were expecting|planned|budgeted)|"
                         # what they pay now, what they have for it, a ceiling
                         rf"(?:we|they|I) (?:pay|spend|are paying|are spending) (?:\w+ ){{0,3}}(?:about |around |roughly |"
                         rf"nearly |just (?:over|under) )?{_MONEY}|"
                         rf"(?:have|has|got) (?:about |around |roughly |up to )?{_MONEY} (?:for|to spend|earmarked|set aside)|"
                         r"(?:hard|spending|budget) cap|"
                         r"(?:costs?|comes? in|priced) (?:at )?(?:less than|under|below|no more than)\b")),
    ],
    "decision": [
        ("negative", _rx(r"\b(?:picked|chose|went with|signed with)\b")),
        ("agreed", _rx(r"comfortable approving|(?:board|cfo|ceo|coo|he|she|they) approved|signed off|verbally yes|"
                       r"\bsigns? (?:it )?(?:on )?(?:same day|today|tomorrow|this week|(?:mon|tue|wed|thu|fri)[a-z]*\b)|"
                       r"\bI'?ll sign\b|get it signed|I sign renewals")),
        ("answered", _rx(r"final (?:call|say)|decision[- ]maker|\bdecides\b|\bsigns?\b(?! up)|signs? off|approves?\b|"
                         r"(?:his|her|their) (?:call|decision)\b|purse strings|run it past|take it to the|"
                         r"decision sits with|\((?:eb|dm)\)|"
                         r"\bvot(?:e|es|ed|ing)\b|committee|overrul(?:e|es|ed)\b|vetoe?d?\b|"
                         r"make(?<!n't make)(?<!not make)s? (?:the|that|this|those|these|all (?:of )?(?:the|those|these)) "
                         r"(?:\w+ )?(?:call|decisions?)\b|make(?<!n't make)(?<!not make)s? all (?:of )?(?:the|those|these) "
                         r"calls\b|"
                         r"(?:goes|go|has to go|needs to go|must go|going) (?:to|before|through) (?:the |our |my |their )?"
                         r"(?:council|board|committee|cfo|ceo|coo|owner|partners|vp|director)\b|"
                         r"security review|run it by|loop in|control(?:s)? the "
                         r"(?:spend|budget)|(?:just|only) me\b|I own this|has to approve|need to (?:see|approve) it|"
                         r"(?:talk to|check with|ask|take it to|make the case to|pitch it to|run it (?:by|past)) "
                         r"(?:my|his|her|our|their) (?:\w+ ){0,2}(?:boss|managers?|director|vp|cfo|ceo|coo|cto|cio|owner|"
                         r"board|gm)|"
                         r"\b(?:cfo|ceo|coo|cto|cio|vp|director|partners|owner)\b.{0,40}\b(?:wants?|decides?|approves?|"
                         r"signs?|controls?|vote)")),
    ],
    "timeline": [
        ("asked", _rx(r"timeline (?:is )?(?:unclear|tbd|unknown)")),
        ("negative", _rx(r"not looking at anything|nothing (?:new )?until|wouldn'?t count on anything|no timeline|"
                         r"nothing (?:will|is going to) (?:change|happen)|(?:no|isn'?t an?|not an?) appetite|"
                         # "not ... this year" in one clause: nothing will happen this year
                         r"(?:not|won'?t|nothing)\b[^.;,]{0,60}\bthis (?:year|cycle|fiscal year)\b|"
                         r"(?:done|closed|over) for (?:this|the) (?:year|cycle)")),
        ("answered", _rx(rf"by (?:the )?end of|end of (?:the )?(?:month|quarter|year|summer|{_MONTH})|"
                         rf"next (?:month|quarter)|this (?:month|quarter)|\bq[1-4]\b|go-?live|start date|live by|"
                         rf"renewal (?:date|in)|deadline|contract ends|before (?:the )?(?:[\w-]+ ){{0,3}}"
                         rf"(?:season|audit|cycle|campaign|launch|rollout|holidays)|by {_MONTH}|(?:in|by|due in|out) {_MONTH}|"
                         rf"\bin \w+ (?:days|weeks)\b|"
                         rf"within [\w-]+ (?:hours|weeks|months)|start(?:s|ing)? (?:on |in )?(?:monday|tuesday|"
                         rf"wednesday|thursday|friday|{_MONTH})|signed today|^{_MONTH}|"
                         rf"(?:on|by|for|before|until|from) the (?:\w+[- ])?\w+ of {_MONTH}")),
    ],
    "next_step": [
        ("negative", _rx(r"no (?:next steps?|follow-?up)|no callback|hung up|closed lost|take me off|please (?:don'?t|do not)|"
                         r"(?:don'?t|do not|stop) call(?:ing)?\b|"
                         r"don'?t have time|not interested")),
        ("agreed", _rx(r"send (?:me |over )?(?:the|an?) (?:contract|order form|paperwork|docusign|agreement|amendment)|"
                       r"start the paperwork|let'?s do|I'?ll send (?:you )?(?:an?|the) invite|send me an invite|"
                       r"I'?ll set up|I'?ll (?:book|schedule)|agreed next step|\bPO\b|"
                       r"(?:meeting|call|demo|poc|pilot|trial|review)(?: is| was)? (?:agreed|booked|scheduled)|"
                       r"\bsigns? (?:it )?(?:on )?(?:same day|today|tomorrow|this week|(?:mon|tue|wed|thu|fri)[a-z]*\b)|"
                       r"get it signed|(?:day|time|date|slot|\d|am|pm) is fine\b|"
                       r"(?:day|\d|two|ten|eleven|noon|first) (?:at \w+ )?works\b")),
        ("answered", _rx(r"send (?:it to )?me\b|send (?:it|them) over|you can send|reach out|call me|talk again|"
                         r"e-?mail me|"
                         r"forward it|pass it along|we send")),
    ],
    "pain": [
        ("negative", _rx(r"works (?:fine|well(?: enough)?)|happy with (?:it|what)|no real problem|quite satisfied")),
        ("answered", _rx(r"killing us|a mess\b|painful|\bpain\b|\bslow\b|\blose\b|\blost (?:\d+|two|three|four|five|a|an|our)\b|"
                         r"headache|"
                         r"killing (?:them|me)|"
                         r"\blosing\b|costing|cost us|"
                         r"complain(?:s|ing)?\b|errors|mistakes|by hand|manual|swamped|overstock|over budget|"
                         r"\bwait \w+ (?:weeks|days)|takes \w+ (?:days|hours)|averaging|re-?key|struggl|"
                         r"bottleneck|can'?t see|\bburn|spends \w+ (?:minutes|hours)")),
    ],
    "competitor": [
        ("answered", _rx(r"\b(?:salesforce|hubspot|zendesk|gong|chorus|datadog|oracle|sap|workday|servicenow|"
                         r"pipedrive|blackbaud|freshdesk|intercom|microsoft|google)\b|already use|currently (?:on|use)|"
                         r"current (?:\w+ )?(?:tool|system|vendor|provider)|built our own|homegrown|in-house|"
                         r"(?:another|the last|other) vendors?|\b(?:picked|chose|went with)\b|renewed with|\bvs\.?\b")),
    ],
    "champion": [
        ("answered", _rx(r"push (?:hard )?for|pushing it|champion|I'?d recommend|I'?ll recommend|loves? the idea|"
                         r"bought in|make the case")),
    ],
}

_OBJECTION = _rx(r"not (?:really )?interested|don'?t have time|no time\b|too expensive|"
                 r"more than (?:I|we) (?:expected|thought|planned|hoped)|"
                 r"can'?t afford|concern|worr(?:y|ied)|(?:not|n'?t) (?:\w+ )?ready|too early|overlap|timing is bad|"
                 r"(?:isn'?t|not) (?:the )?right time|not a good time|works (?:fine|well enough)|happy with (?:it|what)|"
                 r"already use|just renewed|doesn'?t take vendor calls|don'?t control the spend|or they walk|"
                 r"want(?:s|ed)? one vendor|not this year|budget (?:got |was )?cut|not looking at anything|"
                 # a complaint about the product, not the complaints they get from their own customers (a pain)
                 r"complaint(?!s? (?:they|we|I) (?:get|got|receive|hear))(?!s? (?:from|by) )|"
                 r"not a priority|a lot (?:more )?(?:than|for what)|more than we (?:pay|spend)|"
                 r"too (?:high|steep|pricey|costly|much)\b|\bcheaper\b|(?:stay|stick) with what|won'?t renew|"
                 r"(?:still|rather|prefer to) wait")
_RESOLVED = _rx(r"could make sense|that was my (?:main |only |biggest )?(?:concern|worry)|that'?s fine then|"
                r"(?:was|were|is) (?:satisfied|pleased)|that (?:answers|addresses|solves)|no longer a concern|"
                r"then (?:it|that)(?:'?s| is) fine|(?:he|she|they)(?:'?s| is| are) (?:fine|ok(?:ay)?) now|"
                r"(?:comfortable|happy|fine|ok(?:ay)?|good) with (?:it|that|this) now|"
                r"(?:I'?m|we'?re|I am|we are) comfortable with (?:it|that|this)\b|"
                r"that'?s (?:the|a|exactly the) (?:right |good |fair )?answer|that (?:reassures|settles)|reassured\b|"
                r"(?:puts|put) (?:my|our) mind at (?:rest|ease)")
# Words of satisfaction said the other way round ("not comfortable with that now"): neither resolve nor accept.
_NEGATED = _rx(r"(?:not|n'?t|never) (?:\w+ )?(?:comfortable|happy|reassured|acceptable|fine|ok(?:ay)?|good)\b")
# A note line that files what it says under a heading ("DM: Priya (VP Ops)", "next step: demo Tues 3pm"): the
# heading names the item, so a value no pattern reads still settles it (_field_state).
# A line may hold several, one a clause ("BANT: B = 60k approved, A = Raul (EB), T = live by Q1").
_NOTE_FIELD = _rx(r"^(?:(?:bant|meddic+|meddpicc|qual(?:ification)?)\s*:\s*)?"
                  r"(?:(next(?: steps?)?|ns|follow[- ]?ups?|action items?)|"
                  r"(dm|eb|a|decision(?:[- ]?makers?| process)?|economic buyer|authority|approvers?|signers?|"
                  r"signator(?:y|ies)|(?:buying |approval )?process)|"
                  r"(budget|funding|b|\$)|"
                  r"(timeline|timing|time ?frame|t|go-?live(?: target| date)?|deadline|target date|close date|"
                  r"start date|renewal(?: date)?)|"
                  r"(competitors?|competition|alternatives?|incumbent|current (?:tool|vendor|system|solution))|"
                  r"(champion|sponsor)|"
                  r"(pain(?: points?)?|problems?|challenges?|issues?|why now|needs?|n)|"
                  r"(objections?|concerns?|pushback|blockers?))\s*(?::|=|->|–|—)\s*(?=[^\s])")
_CLAUSE = re.compile(r"\s*[,;]\s*")
_FIELD_ITEMS = ("next_step", "decision", "budget", "timeline", "competitor", "champion", "pain", "objection")
_FIELD_SILENT = _rx(r"^(?:n/?a\b|-+$)")
_FIELD_UNSETTLED = _rx(r"^(?:tbd|tbc|\?|unclear|pending|unknown|to (?:be )?confirm|waiting)|\?\s*$|\byet\b")
_FIELD_NONE = _rx(r"^(?:none|nothing|nil|no\b)")
_FIELD_APPROVED = _rx(r"approved|signed off|accepted|agreed|committed")
# An agreed next step that is another meeting first (a technical review, a demo) rather than the signature itself.
_ANOTHER_MEETING = _rx(r"\b(?:review|demo|meeting|workshop|session|walk-?through|pilot|trial|poc|visit|onsite|call)\b")
_SIGNING = _rx(r"contract|paperwork|order form|docusign|agreement|amendment|\bsign|\bpo\b|purchase order|legal|"
               r"invoice|kick-?off|onboard")
# A turn that only says something was not discussed establishes nothing.
_NOT_DISCUSSED = _rx(r"didn'?t ask|not (?:discussed|mentioned|raised|covered)|none (?:mentioned|discussed|given)|"
                    r"didn'?t come up|never came up")

# The rep's side: what a question or an assertion is about (it makes the item `asked`).
_REP_TOPIC: dict[str, Caseless] = {
    "budget": _rx(r"budget|money|\bfund(?:ed|ing)\b|set (?:\w+ )?aside|allocated|\bafford|"
                  r"how much (?:would|could|can|do|did|are|were|will) (?:you|they|\w+)|what (?:price )?range|"
                  r"(?:put|putting|spend|spending|invest|investing) (?:\w+ ){0,2}(?:toward|towards|on|into) (?:this|it|that)\b"),
    "decision": _rx(r"who (?:else )?(?:would |will |needs to |has to )?(?:decide|sign|approve|be involved|needs? to be "
                    r"convinced|owns?)|\bsigns? off\b|final (?:say|word)|the last word|procurement|"
                    r"(?:person|one|people) (?:approving|signing|deciding)|who(?:'?s| is) (?:approving|signing|deciding)|"
                    r"(?:buying|approval|decision) process|"
                    r"approves? that|the one (?:who signs|who decides|deciding|signing)|what does their process|"
                    r"decision[- ]?maker|(?:make|makes|making) (?:that|the|this|those|these) (?:call|decision)s?\b|"
                    r"weigh in|who (?:else )?(?:would |will )?(?:get|gets|has) (?:a|the) say|"
                    r"(?:when it comes to|how do you|how would you|who) (?:\w+ ){0,2}"
                    r"(?:choos|pick(?:s|ing)? (?:a|the|which|between|one)\b|decid)"),
    "timeline": _rx(r"\bwhen (?:do|does|would|will|is|are|should)\b|timeline|by when|live by|deadline|\bq[1-4]\b|"
                    r"fiscal year|go-?live|need it (?:live|working)|need to be spent|next month|this quarter|by the end of|"
                    r"live before|renewal (?:is )?(?:coming up|next)|time ?frame|how (?:soon|quickly)|what date|"
                    r"a date (?:you|that)"),
    "pain": _rx(r"problem|challenge|struggl|\bpain|what (?:made|prompted)|what'?s driving|hoping to improve|"
                r"how (?:does|do|are) (?:your|you) .{0,40}(?:handle|handled|today|now)|look like now"),
    "competitor": _rx(r"who else (?:are|is) (?:you )?|other (?:vendors|options|solutions|tools)|alternatives|evaluating|"
                      r"another \w+ vendor|how (?:others|you) compare|what (?:are you|do you) (?:use|using)|"
                      r"looked at (?:anything|anyone|any other)|compar(?:e|ed|ing) (?:it|us|this|that|them|our \w+) "
                      r"(?:against|to|with)|what (?:else )?(?:are you|were you) (?:comparing|weighing|looking at)"),
}
_PROPOSAL = _rx(r"\b(?:could|can|shall|should) (?:we|i)\b|\bI can (?:send|set up|book)\b|\bhow about\b|"
                r"would you (?:be )?(?:open|up|want|like)|would it (?:\w+ )?help (?:to|if)\b|"
                r"want to (?:see|try)|would (?:it|a|an|\w+) .{0,40}make sense|\blet'?s (?:pencil|set|book|schedule|do|"
                r"aim|get)|\bI'?ll send\b|\bwe'?d start\b|next step is|would (?:\w+ ){1,2}join")
# Sending something to read is a weaker step than a meeting, a pilot or a contract: accepted without a date,
# it is only a loose next step (`answered`).
_COLLATERAL = _rx(r"\b(?:summary|material|numbers|model|docs?|documentation|deck|case stud(?:y|ies)|references|"
                  r"note|e-?mail|overview|brochure|quote|pricing|"
                  r"info(?:rmation)?|one-pager|report|comparison|side-by-side|breakdown|write-?up|outline|sample)\b")
_PRICE = _rx(r"\$\s?\d|\b\d+\s?k\b|thousand|million|per (?:month|year|seat)|a month\b|/yr|/mo|same price|"
              r"(?:percent|%) off|discount")
# How many of the buyer's replies a price stays on the table for: a buyer often asks about it ("and is training
# included?") or hears one more concession before accepting it ("okay, at that it's acceptable").
PRICE_REPLIES = 2

_REFUSE = _rx(r"^(?:no\b|nope|not really|i don'?t think|please don'?t)|don'?t have time|not (?:\w+ )?ready|too early|"
              r"take me off|not interested|no,? thanks|keep you in mind|not possible")
_DEFER = _rx(r"^(?:maybe|possibly|perhaps|let me|we'?ll see)|let me (?:think|ask|check)|get back to (?:you|us|me)|not sure|"
             r"(?:I'?d|I would|we'?d) have to (?:ask|check|think)|"
             r"check (?:his|her|my) calendar|think about it")
_ACCEPT = _rx(r"^(?:(?:actually|honestly|well|oh|ah|um|so|right|alright),? )?"
              r"(?:yes|yeah|yep|sure|sounds good|great|perfect|ok(?:ay)?|that works|fine|absolutely|definitely|"
              r"of course|please do|that would be|let'?s|let us)\b|\bworks\b|\bis fine\b|sounds good|let'?s do|is realistic|"
              r"\bI'?ll sign|, yes\b|acceptable(?<!unacceptable)\b")
# A yes that opens a later sentence of the turn with a date ("The budget is approved. Let's start on the 12th."):
# only the words that say yes to something, not those that also close a call politely ("Great talking to you"),
# and only dated, as an undated one may say yes to something else ("I'll run it by finance. Sure, send the deck").
_ACCEPT_LATER = _rx(r"^(?:(?:and|so|well|actually),? )?(?:yes|yeah|yep|sure|sounds good|that works|absolutely|"
                    r"definitely|of course|please do|let'?s|let us)\b")
# A bare acknowledgment before a question or a condition ("Okay. Who else signs?", "Okay, one thing: we can't
# buy outside the framework") takes the turn; it does not say yes.
_ACK = _rx(r"^(?:okay|ok|right|alright|i see|got it|understood|hm+)\b[.,!]*\s*")
_PUSHBACK = _rx(r"\b(?:can'?t|cannot|won'?t|only if|unless|but)\b")
_DEFLECT = _rx(r"I wouldn'?t say|(?:don'?t|didn'?t|doesn'?t) (?:really )?know|not sure|haven'?t (?:talked|decided|discussed)|"
                r"no idea|can'?t (?:say|promise|commit)|wouldn'?t say|"
                r"depends|dodged|avoided|didn'?t answer")
_NO = _rx(r"^(?:no|not|nope)\b")
_CONFIRMED = _rx(r"confirmed|accepted|locked in")
_SENTENCES = re.compile(r"[^.?!]*[^.?!\s][^.?!]*[.?!]*")
# A buyer inviting the rep to the next meeting themselves: with a date, an agreed next step.
_BUYER_PROPOSAL = _rx(r"\b(?:(?:let'?s|let us) (?:meet|do|book|schedule|set|start|kick (?:it )?off|begin|get (?:it )?started)|"
                      r"come (?:out |over |down |up )?(?:to|by|over|and)|"
                      r"(?:can|could) you (?:come|join|do|make it|set (?:up|it up|something up)|arrange|book|organi[sz]e)|"
                      r"join us|we can (?:meet|do)|set (?:it|something) up for|send (?:me|us) (?:an? )?invite)")
_NOTE_PROPOSAL = _rx(r"^(?:[\w -]{1,20}:\s*)?(?:we |I )?(?:suggested|offered|proposed|pitched|floated|said I'?d|send|"
                     r"asked (?:about|for) (?:a |an )?(?:demo|trial|pilot|poc|meeting|call|follow-?up))")
_NOTE_SEND = _rx(r"^(?:[\w -]{1,20}:\s*)?(?:we |I )?send")
_START = _rx(r"\bstart|onboard|kick ?off|go-?live|signed by")  # a dated proposal that starts the deal
_GO_AHEAD = _rx(r"\bsend\b|\bsign|go ahead|let'?s")  # accepting the price and moving on
# A note line that reports what the rep did; after its first comma or arrow, what the buyer said back.
_REP_NOTE = _rx(r"^(?:[\w -]{1,20}:\s*)?(?:we |I )?(?:asked|suggested|offered|proposed|said I'?d|showed|walked through|"
                r"pitched|floated|told (?:him|her|them)|send|sent)\b")
_REPLY_MARK = re.compile(r"\s*(,|->|=>|→)\s*")

_WHAT: dict[tuple[str, str], str] = {
    ("budget", "asked"): "the rep asked about budget", ("budget", "answered"): "the buyer said what budget there is",
    ("budget", "agreed"): "the buyer approved the spend", ("budget", "negative"): "the buyer said there is no budget",
    ("decision", "asked"): "the rep asked who decides", ("decision", "answered"): "the buyer said who decides",
    ("decision", "agreed"): "the decision maker approved", ("decision", "negative"): "the buyer chose another way",
    ("timeline", "asked"): "the rep asked about timing", ("timeline", "answered"): "the buyer gave a timeline",
    ("timeline", "negative"): "the buyer ruled out a timeline",
    ("next_step", "asked"): "the rep proposed a next step", ("next_step", "answered"): "the buyer left a loose next step",
    ("next_step", "agreed"): "the buyer agreed to a next step",
    ("next_step", "negative"): "the buyer refused a next step",
    ("pain", "asked"): "the rep asked about their problem", ("pain", "answered"): "the buyer described a problem",
    ("pain", "negative"): "the buyer said there is no problem to solve",
    ("competitor", "asked"): "the rep asked about alternatives",
    ("competitor", "answered"): "the buyer named a competitor or their current tool",
    ("champion", "answered"): "the buyer offered to push for it internally",
    ("objection", "open"): "the buyer raised an objection", ("objection", "resolved"): "the buyer's concern was answered",
    ("price", "stated"): "the rep stated the price", ("price", "accepted"): "the buyer accepted the price",
}


@dataclass(frozen=True)
class ItemState:
    state: str = "not_raised"
    turn: int | None = None  # the turn (from 0) that established the state
    speaker: str | None = None
    evidence: str = ""  # the words of that turn
    call: int = 0  # which of a deal's calls, when states are merged across calls

    @property
    def established(self) -> bool:
        """Settled by the buyer (an answer, an agreement, or a no), not just raised."""
        return self.state in ("answered", "agreed", "negative", "resolved", "open")


@dataclass(frozen=True)
class Objection:
    turn: int
    speaker: str
    text: str
    resolved_turn: int | None = None


@dataclass(frozen=True)
class Event:
    """What one turn did to one item: the material of swing-moment reasons."""

    turn: int
    item: str
    state: str
    speaker: str
    what: str


@dataclass
class PhraseBank:
    """What the tracker reads through the embedder: labelled example phrasings (tracker_phrases.json) embedded
    once, with their similarity thresholds, and the turn reader (agent.turn_reader) fitted on this embedder."""

    embedder_id: str
    vectors: dict[str, np.ndarray]  # "objection" -> (n, dim), "pain" -> (n, dim)
    thresholds: dict[str, float]
    reader: TurnReader | None = None

    @classmethod
    def build(cls, embedder: Embedder) -> PhraseBank:
        data = load_phrases()
        vectors = {kind: np.asarray(embedder.embed(entry["examples"]), dtype=np.float32)
                   for kind, entry in data["kinds"].items()}
        reader = TurnReader.load() if DEFAULT_READER_DIR.is_dir() else None
        if reader is not None and reader.embedder_id != embedder.id:
            reader = None  # its weights mean nothing in another embedder's space: the patterns alone
        return cls(embedder.id, vectors, {kind: float(e["threshold"]) for kind, e in data["kinds"].items()}, reader)

    def similarity(self, kind: str, embedding: np.ndarray) -> float:
        return float(np.max(self.vectors[kind] @ embedding))


def load_phrases() -> dict[str, Any]:
    text = importlib.resources.files("salesrl.agent").joinpath("tracker_phrases.json").read_text(encoding="utf-8")
    return dict(json.loads(text))


def _cut(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass
class Tracker:
    """Follows one call turn by turn: `add` each turn (with its embedding when there is one), read `items`."""

    phrases: PhraseBank | None = None
    items: dict[str, ItemState] = field(default_factory=lambda: {i: ItemState() for i in ITEMS})
    objections: list[Objection] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    turns: int = 0
    # whether the latest agreed next step is another meeting before the signature (a technical review, a demo)
    # rather than the paperwork or the start itself, read off the proposal and the reply that agreed it
    step_is_meeting: bool = False
    # what the last rep turn left for the buyer to answer
    _asked: tuple[str, ...] = ()  # in _REP_TOPIC's order: a set's order would change with the hash seed
    _proposal: str | None = None  # "strong" or "weak" (collateral without a date)
    _proposal_dated: bool = False
    _proposal_text: str = ""
    _price_open: int = 0  # the buyer's replies the rep's last price stays on the table for (PRICE_REPLIES)
    # whether the latest buyer turn asked the rep something: the rep's reply answers it rather than asks
    _buyer_asked: bool = False

    # --- reading --------------------------------------------------------------------------------------------

    def add(self, turn: Turn, embedding: np.ndarray | None = None) -> list[Event]:
        """Reads one turn; returns what it did."""
        index = self.turns
        self.turns += 1
        before = len(self.events)
        text = turn.text
        if turn.role == "rep":
            self._rep(index, turn.speaker, text, embedding=embedding)
        elif turn.is_note and _REP_NOTE.match(text):
            parts = _REPLY_MARK.split(text, maxsplit=1)  # the rep's part, the mark, the buyer's; or the line alone
            rep_part, buyer_part = parts[0], parts[2] if len(parts) == 3 else ""
            self._rep(index, turn.speaker, rep_part, note=True)
            if buyer_part.strip():
                self._buyer(index, turn.speaker, buyer_part.strip(), None, note=True)
            self._forget_rep()
        elif not _NOT_DISCUSSED.search(text):
            self._buyer(index, turn.speaker, text, embedding, note=turn.is_note)
            self._forget_rep()
        return self.events[before:]

    def _forget_rep(self) -> None:
        self._asked, self._proposal, self._proposal_dated = (), None, False
        self._proposal_text = ""

    def _rep(self, index: int, speaker: str, text: str, note: bool = False, embedding: np.ndarray | None = None) -> None:
        self._forget_rep()
        reader = self.phrases.reader if self.phrases is not None else None
        # A rep's turn without a question mark right after the buyer asked one is the rep's answer ("Annual, billed
        # quarterly"), not a question of its own, whatever the reader hears in it: the buyer's next words do not
        # answer it. (Machine transcripts, which drop question marks, drop the buyer's too.)
        answering, self._buyer_asked = self._buyer_asked and "?" not in text, False
        asks = (reader.asks(embedding) if reader is not None and embedding is not None and not answering else ())
        topics = [item for item, rx in _REP_TOPIC.items() if rx.search(text) or item in asks]
        for item in topics:
            self._set(item, "asked", index, speaker, text)
        # only a question waits for an answer; an assertion ("your renewal next month") does not. The reader learnt
        # questions, with or without their question mark (machine transcripts leave it out).
        self._asked = tuple(topics) if "?" in text or note else tuple(t for t in topics if t in asks)
        if _PROPOSAL.search(text) or (note and _NOTE_PROPOSAL.match(text)) or "next_step" in asks:
            dated = bool(_DATE.search(text))
            self._proposal = "weak" if _COLLATERAL.search(text) and not dated else "strong"
            self._proposal_dated = dated and bool(_START.search(text))
            self._proposal_text = text
            if note and _NOTE_SEND.match(text):
                # a note's "we send X" is a plan the call settled on, not an offer waiting for a reply
                self._set("next_step", "agreed" if self._proposal == "strong" else "answered", index, speaker, text)
            else:
                self._set("next_step", "asked", index, speaker, text)
        if _PRICE.search(text):
            self._price_open = PRICE_REPLIES
            self._event(index, "price", "stated", speaker)
        elif topics or self._proposal is not None:
            self._price_open = 0  # the rep has moved on: a yes now answers the new question, not the price

    def _buyer(self, index: int, speaker: str, text: str, embedding: np.ndarray | None, note: bool) -> None:
        self._buyer_asked = "?" in text
        found: dict[str, str] = {}
        replying_to_proposal = self._proposal is not None
        reply = ""
        if replying_to_proposal:
            reply = ("refuse" if _REFUSE.search(text) else "defer" if _DEFER.search(text)
                     else "accept" if _accepts(text) else "")
            if reply == "accept":
                found["next_step"] = "agreed" if self._proposal == "strong" else "answered"
                if self._proposal_dated:
                    found["timeline"] = "answered"
            elif reply == "refuse":
                found["next_step"] = "negative"
        if ("next_step" not in found and (_BUYER_PROPOSAL.search(text) or _CONFIRMED.search(text))
                and _DATE.search(text) and not (_REFUSE.search(text) or _DEFER.search(text))):
            # the buyer's own dated invitation ("come to our site next Tuesday"), or a date confirmed
            found["next_step"] = "agreed"
        if self._price_open:
            said_no = bool(_REFUSE.search(text) or _OBJECTION.search(text))
            if _accepts(text) and not said_no:
                found["budget"] = "agreed"
                self._event(index, "price", "accepted", speaker)
                if _GO_AHEAD.search(text):
                    found["next_step"] = "agreed"
            self._price_open = 0 if said_no or "budget" in found else self._price_open - 1
        for item, rules in _BUYER.items():
            if item in found or (item == "timeline" and reply == "defer"):
                continue  # a deferral's date ("maybe next quarter") is about the step, not the deal
            for state, rx in rules:
                if rx.search(text):
                    found[item] = state
                    break
        fields = _field_states(text) if note else {}
        for item, state in fields.items():
            if item not in found and item != "objection":  # objections: _objections
                found[item] = state
        reader = self.phrases.reader if self.phrases is not None else None
        read = reader.read(embedding) if reader is not None and embedding is not None else {}
        for item, (state, _) in read.items():
            if item not in found and not (item == "timeline" and reply == "defer"):
                found[item] = state  # what the patterns do not spell out, when the reader is sure of it
        # A direct reply to the rep's question settles it, unless it dodges or only asks back.
        asks_back = all(sentence.endswith("?") for sentence in _SENTENCES.findall(text))
        for item in self._asked:
            if (item not in found and item in _REP_TOPIC and not asks_back
                    and not (_DEFLECT.search(text) or _DEFER.search(text))):
                found[item] = "negative" if _NO.search(text) and item in ("budget", "timeline", "pain") else "answered"
        if embedding is not None and self.phrases is not None:
            if "pain" not in found and self.phrases.similarity("pain", embedding) >= self.phrases.thresholds["pain"]:
                found["pain"] = "answered"
        for item, state in found.items():
            self._set(item, state, index, speaker, text)
        self._objections(index, speaker, text, embedding, headed=fields.get("objection") == "open")

    def _objections(self, index: int, speaker: str, text: str, embedding: np.ndarray | None, headed: bool) -> None:
        """`headed`: a note line filed under an objection heading ("concerns: ...")."""
        open_ = [i for i, o in enumerate(self.objections) if o.resolved_turn is None]
        raised = headed or bool(_OBJECTION.search(text))
        if not raised and embedding is not None and self.phrases is not None:
            raised = self.phrases.similarity("objection", embedding) >= self.phrases.thresholds["objection"]
        if _RESOLVED.search(text) and not _NEGATED.search(text) and (open_ or raised):
            if not open_:  # raised and answered in one note line
                self.objections.append(Objection(index, speaker, _cut(text)))
                open_ = [len(self.objections) - 1]
            last = open_[-1]
            self.objections[last] = replace(self.objections[last], resolved_turn=index)
            self._event(index, "objection", "resolved", speaker)
        elif raised:
            self.objections.append(Objection(index, speaker, _cut(text)))
            self._event(index, "objection", "open", speaker)
        still_open = [o for o in self.objections if o.resolved_turn is None]
        if still_open:
            first = still_open[0]
            self.items["objection"] = ItemState("open", first.turn, first.speaker, first.text)
        elif self.objections:
            last_resolved = max(self.objections, key=lambda o: o.resolved_turn or 0)
            self.items["objection"] = ItemState("resolved", last_resolved.resolved_turn, speaker, _cut(text))

    def _event(self, index: int, item: str, state: str, speaker: str) -> None:
        self.events.append(Event(index, item, state, speaker, _WHAT[(item, state)]))

    def _set(self, item: str, state: str, index: int, speaker: str, text: str) -> None:
        self._event(index, item, state, speaker)
        old = self.items[item]
        # the latest agreed next step is the one that matters; other items keep the turn that first settled them
        latest = item == "next_step" and state == old.state == "agreed"
        if _RANK[state] > _RANK[old.state] or (_RANK[state] == _RANK[old.state] and state != old.state) or latest:
            self.items[item] = ItemState(state, index, speaker, _cut(text))
            if item == "next_step":
                words = f"{self._proposal_text} {text}"
                self.step_is_meeting = bool(_ANOTHER_MEETING.search(words)) and not _SIGNING.search(words)

    # --- what the rest of the product reads ----------------------------------------------------------------

    def open_objections(self) -> list[Objection]:
        return [o for o in self.objections if o.resolved_turn is None]

    def gaps(self) -> list[str]:
        """Items a call still has to settle: a qualifying item not answered, or no agreed next step."""
        return gaps_of(self.items)

    def events_at(self, turn: int) -> list[Event]:
        return [e for e in self.events if e.turn == turn]

    def to_dict(self) -> dict[str, Any]:
        """The "tracker" of `salesrl score --format json`."""
        return {
            "items": {name: {k: v for k, v in asdict(s).items() if k != "call"} for name, s in self.items.items()},
            "objections": [asdict(o) for o in self.objections],
            "gaps": self.gaps(),
        }


def _accepts(text: str) -> bool:
    """Words of acceptance, unless they only acknowledge before the buyer asks something or sets a condition
    ("Okay. Who else would be involved?"); "Okay, that works. When do we start?" still accepts."""
    if _NEGATED.search(text):
        return False
    ack = _ACK.match(text)
    if ack is not None and (text.rstrip().endswith("?") or _PUSHBACK.search(text)):
        text = text[ack.end():]
    return bool(_ACCEPT.search(text)) or any(_ACCEPT_LATER.search(sentence.strip()) and _DATE.search(sentence)
                                             for sentence in _SENTENCES.findall(text)[1:])


def _field_state(text: str) -> tuple[str, str] | None:
    """The item a note line's heading names and the state its value gives, where the patterns give none: "n/a"
    settles nothing; "none" is no budget, no timeline, no problem to solve, and nothing for the other items; a
    value still to be found out ("TBD", "?", "not yet") leaves a qualifying item or the next step asked; a next
    step with a date or a meeting is agreed, one without (material to send, "touch base") answered, and a
    deferral asked."""
    m = _NOTE_FIELD.match(text)
    if m is None:
        return None
    item = next(name for name, group in zip(_FIELD_ITEMS, m.groups()) if group is not None)
    value = text[m.end():]
    if _FIELD_SILENT.match(value):
        return None
    unsettled = bool(_FIELD_UNSETTLED.search(value))
    if not unsettled and _FIELD_NONE.match(value):  # "budget: none" is no budget; "objections: none", no objection
        return (item, "negative") if item in ("budget", "timeline", "pain") else None
    if item == "objection":
        return None if unsettled else (item, "open")
    if item in ("next_step", *QUALIFYING) and (unsettled or (item == "next_step" and _DEFER.search(value))):
        return item, "asked"
    if item == "next_step":
        dated = bool(_DATE.search(value))
        firm = dated or (bool(_ANOTHER_MEETING.search(value) or _SIGNING.search(value)) and not _COLLATERAL.search(value))
        return item, "agreed" if firm else "answered"
    if item == "budget" and not unsettled and _FIELD_APPROVED.search(value):
        return item, "agreed"
    return None if unsettled else (item, "answered")


def _field_states(text: str) -> dict[str, str]:
    """Every heading's item and state in a note line, clause by clause (_field_state); the first clause that
    names an item decides it."""
    out: dict[str, str] = {}
    for clause in _CLAUSE.split(text):
        field = _field_state(clause)
        if field is not None and field[0] not in out:
            out[field[0]] = field[1]
    return out


def gaps_of(items: dict[str, ItemState]) -> list[str]:
    """Items still to settle, of one call's tracker or of a deal's calls merged (`merge`): a qualifying item
    not answered, or no agreed next step."""
    out = [i for i in QUALIFYING if items[i].state in ("not_raised", "asked")]
    if items["next_step"].state != "agreed":
        out.append("next_step")
    return out


def track(turns: Sequence[Turn], embeddings: Iterable[np.ndarray | None] | None = None,
          phrases: PhraseBank | None = None) -> Tracker:
    """A tracker that has read a whole call."""
    tracker = Tracker(phrases)
    for turn, emb in zip(turns, embeddings if embeddings is not None else [None] * len(turns)):
        tracker.add(turn, emb)
    return tracker


def merge(calls: Sequence[dict[str, ItemState]]) -> dict[str, ItemState]:
    """One deal's items over its calls, oldest first: a later call's state stands unless it says less
    (a budget agreed on the first call is not undone by a question on the second)."""
    out = {i: ItemState() for i in ITEMS}
    for n, items in enumerate(calls):
        for name, s in items.items():
            old = out[name]
            if name == "objection":
                if s.state != "not_raised":
                    out[name] = replace(s, call=n)
            elif _RANK[s.state] > _RANK[old.state] or (_RANK[s.state] == _RANK[old.state] and s.state != old.state
                                                      and s.state != "not_raised"):
                out[name] = replace(s, call=n)
    return out
