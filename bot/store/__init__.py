"""SalesRL's history: tables, Alembic migrations, and `Store` with one repository per kind of record.

    from salesrl.bot.store import Store, LOCAL_WORKSPACE, save_scored_call
    with Store.open() as store:           # SALESRL_DATABASE_URL or the SQLite file in the data dir
        saved = save_scored_call(store, LOCAL_WORKSPACE, "Acme", result, transcript_text=redacted)
        store.flags.list_open(LOCAL_WORKSPACE)
"""

from salesrl.bot.store.calls import Call, CallDetail, SavedCall, StoredTip, TurnScore
from salesrl.bot.store.deals import Deal, normalise_deal_name
from salesrl.bot.store.digests import DigestRun, DigestSubscription
from salesrl.bot.store.errors import DatabaseUnavailable, InvalidValue, NotFound, SchemaOutOfDate, StoreError
from salesrl.bot.store.flags import Flag
from salesrl.bot.store.questions import SavedAnswer, SavedQuestion
from salesrl.bot.store.store import LOCAL_WORKSPACE, Store, save_scored_call
from salesrl.bot.store.workspaces import User, Workspace

__all__ = [
    "Store", "LOCAL_WORKSPACE", "save_scored_call", "normalise_deal_name",
    "StoreError", "DatabaseUnavailable", "SchemaOutOfDate", "NotFound", "InvalidValue",
    "Workspace", "User", "Deal", "Call", "CallDetail", "TurnScore", "StoredTip", "SavedCall",
    "Flag", "SavedQuestion", "SavedAnswer", "DigestSubscription", "DigestRun",
]
