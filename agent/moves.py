"""The rep move classes: what a rep can do on a turn. Training data labels rep turns with one of
these (`action`), the policy values each of them, and coaching recommends the best."""

from __future__ import annotations

MOVES: tuple[str, ...] = (
    "rapport",             # greeting, small talk, agenda setting
    "discovery_question",  # open question about the prospect's situation, pain, process
    "quantify_value",      # ties the product to the prospect's numbers: hours, money, risk
    "feature_pitch",       # lists features without tying them to the prospect's need
    "handle_objection",    # acknowledges and answers the concern the prospect raised
    "social_proof",        # a similar customer's result, a reference, a case study
    "present_pricing",     # states price, packaging, discount
    "propose_next_step",   # proposes a concrete next meeting, trial, or stakeholder call
    "ask_for_close",       # asks for the commitment: signature, PO, go-ahead
)

MOVE_ADVICE: dict[str, str] = {
    "rapport": "build rapport and set an agenda",
    "discovery_question": "ask an open discovery question about their situation and pain",
    "quantify_value": "quantify the value in their own numbers (hours, money, risk)",
    "feature_pitch": "show the relevant feature",
    "handle_objection": "address the open objection head-on before moving on",
    "social_proof": "share a result from a similar customer",
    "present_pricing": "walk through pricing and packaging",
    "propose_next_step": "propose a concrete next step with a date",
    "ask_for_close": "ask for the commitment",
}
