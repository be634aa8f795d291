"""Questions about a deal, answered from its stored history.

- `intent`: what a question asks (why flagged, what was said about X, who decides, how likely, what next,
  how it moved), by rules and, for what no rule reads, the sentence embedder against example questions;
- `spelling`: a question's typos read as the deal's or the rules' words;
- `history`: the deal's calls, turns, tips and flags, with the citations answers use;
- `retrieval`: the stored turns that answer the question (its topic's evidence or its words, ranked by
  embedding similarity plus the rarity of shared words and boosts);
- `compose`: the extractive answer; `phrasing`: the same, phrased by an OpenAI-compatible chat model;
- `service`: the three together; `slack_reply`: which deal, who may see it, and the reply in the thread.
"""
