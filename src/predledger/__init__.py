"""predledger: the prediction ledger for machine-learning services.

Log every prediction in microseconds without losing any, join late ground truth, watch
drift and performance, and keep the history in SQLite or PostgreSQL.

    from predledger import Ledger

    ledger = Ledger("sqlite:///predictions.db")
    prediction_id = ledger.log(model="churn", version="3", inputs={"tenure": 12}, label="stay")
"""

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
