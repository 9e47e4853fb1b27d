"""The whole schema: importing this module registers every domain's tables on ``Base``.

A domain that adds tables adds its ``models`` module here and a migration beside the
others in ``predledger/store/migrations/versions``.
"""

from __future__ import annotations

from sqlalchemy import MetaData

from predledger.actions import models as action_models
from predledger.alerts import models as alert_models
from predledger.auth import models as auth_models
from predledger.cache import models as cache_models
from predledger.datasets import models as dataset_models
from predledger.drift import models as drift_models
from predledger.feedback import models as feedback_models
from predledger.jobs import models as job_models
from predledger.metrics import models as metrics_models
from predledger.monitor import models as monitor_models
from predledger.ops import models as ops_models
from predledger.predictions import models as prediction_models
from predledger.registry import models as registry_models
from predledger.store.base import Base
from predledger.traffic import models as traffic_models

DOMAIN_MODULES = (
    prediction_models,
    feedback_models,
    traffic_models,
    metrics_models,
    registry_models,
    ops_models,
    dataset_models,
    job_models,
    drift_models,
    alert_models,
    action_models,
    monitor_models,
    auth_models,
    cache_models,
)

metadata: MetaData = Base.metadata
