"""SalesRL's history: SQLModel tables, Alembic migrations and the `Store` repository.

    from salesrl.bot.store import Store, LOCAL_WORKSPACE, save_scored_call
    with Store.open() as store:           # SALESRL_DATABASE_URL or the SQLite file in the data dir
        saved = save_scored_call(store, LOCAL_WORKSPACE, "Acme", result, transcript_text=redacted)
"""

from salesrl.bot.store.errors import DatabaseUnavailable, InvalidValue, NotFound, SchemaOutOfDate, StoreError
from salesrl.bot.store.records import (
    Call,
    CallDetail,
    ClosedDealForecast,
    Deal,
    DealMove,
    DigestRun,
    DigestSubscription,
    Flag,
    RepActivity,
    SavedAnswer,
    SavedCall,
    SavedQuestion,
    ScoredCallRow,
    StoredTip,
    TurnScore,
    User,
    Workspace,
)
from salesrl.bot.store.rows import normalise_deal_name
from salesrl.bot.store.store import LOCAL_WORKSPACE, Store, save_scored_call

__all__ = [
    "Store", "LOCAL_WORKSPACE", "save_scored_call", "normalise_deal_name",
    "StoreError", "DatabaseUnavailable", "SchemaOutOfDate", "NotFound", "InvalidValue",
    "Workspace", "User", "Deal", "Call", "CallDetail", "TurnScore", "StoredTip", "SavedCall",
    "Flag", "SavedQuestion", "SavedAnswer", "DigestSubscription", "DigestRun", "ScoredCallRow", "DealMove",
    "RepActivity", "ClosedDealForecast",
]
