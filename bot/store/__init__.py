"""SalesRL's history: SQLModel tables, Alembic migrations and the `Store` repository.

    from bot.store import Store, LOCAL_WORKSPACE, save_scored_call
    with Store.open() as store:           # SALESRL_DATABASE_URL or the SQLite file in the data dir
        saved = save_scored_call(store, LOCAL_WORKSPACE, "Acme", result, transcript_text=redacted)
"""

from bot.store.errors import DatabaseUnavailable, InvalidValue, NotFound, SchemaOutOfDate, StoreError
from bot.store.records import (
    Answer,
    Call,
    CallDetail,
    ClosedDealForecast,
    Deal,
    DealMove,
    DigestRun,
    DigestSubscription,
    Flag,
    Question,
    RepActivity,
    SavedCall,
    ScoredCallRow,
    StoredTip,
    TurnScore,
    User,
    Workspace,
)
from bot.store.rows import normalise_deal_name
from bot.store.store import LOCAL_WORKSPACE, Store, save_scored_call

__all__ = [
    "Store", "LOCAL_WORKSPACE", "save_scored_call", "normalise_deal_name",
    "StoreError", "DatabaseUnavailable", "SchemaOutOfDate", "NotFound", "InvalidValue",
    "Workspace", "User", "Deal", "Call", "CallDetail", "TurnScore", "StoredTip", "SavedCall",
    "Flag", "Question", "Answer", "DigestSubscription", "DigestRun", "ScoredCallRow", "DealMove",
    "RepActivity", "ClosedDealForecast",
]
