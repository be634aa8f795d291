"""The synthetic sales-call generator: the product's own training data.

    from salesrl.agent.synth import generate
    convs = generate(1000, seed=0)   # list[agent.dataset.Conversation], outcome and p_true on every turn
"""

from salesrl.agent.synth.generator import generate, iter_conversations, iter_plans, to_conversation

__all__ = ["generate", "iter_conversations", "iter_plans", "to_conversation"]
