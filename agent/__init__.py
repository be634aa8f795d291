"""SalesRL's ML core: transcripts in, turn-by-turn conversion probability and coaching out.

Nothing here knows about Slack or the database: plain data in, plain data out.
"""

from salesrl.agent.errors import SalesRLError, TranscriptError, ModelError
from salesrl.agent.types import Turn, Transcript, ScorePoint, Tip, ScoreResult

__all__ = [
    "SalesRLError", "TranscriptError", "ModelError",
    "Turn", "Transcript", "ScorePoint", "Tip", "ScoreResult",
    "SalesAgent",
]


def __getattr__(name: str):
    # SalesAgent pulls in onnxruntime; import it only when asked for.
    if name == "SalesAgent":
        from salesrl.agent.sales_agent import SalesAgent
        return SalesAgent
    raise AttributeError(name)
