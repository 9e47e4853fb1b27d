"""predledger: the prediction ledger for machine-learning services.

Log every prediction in microseconds without losing any, join late ground truth, watch
drift and performance, and keep the history in SQLite or PostgreSQL.

    from predledger import Ledger

    ledger = Ledger("sqlite:///predictions.db")
    prediction_id = ledger.log(model="churn", version="3", inputs={"tenure": 12}, label="stay")
"""

from typing import TYPE_CHECKING

from predledger.errors import (
    ConfigurationError,
    ConflictError,
    InvalidRecordError,
    LedgerClosedError,
    NotFoundError,
    PredledgerError,
    SchemaOutdatedError,
    StoreError,
    StoreUnavailableError,
)
from predledger.lazy import lazy_attributes

if TYPE_CHECKING:
    from predledger.ingest.ledger import Ledger
    from predledger.ingest.stats import LedgerStats
    from predledger.store.engine import Store

__version__ = "0.1.0"

__all__ = [
    "ConfigurationError",
    "ConflictError",
    "InvalidRecordError",
    "Ledger",
    "LedgerClosedError",
    "LedgerStats",
    "NotFoundError",
    "PredledgerError",
    "SchemaOutdatedError",
    "Store",
    "StoreError",
    "StoreUnavailableError",
    "__version__",
]

# Imported on first use: the CLI's commands and the ledger's writer process need only
# parts of the package, and importing all of it (the cache, FastAPI) takes about a second.
__getattr__ = lazy_attributes(
    __name__,
    {
        "Ledger": "predledger.ingest.ledger",
        "LedgerStats": "predledger.ingest.stats",
        "Store": "predledger.store.engine",
    },
)
