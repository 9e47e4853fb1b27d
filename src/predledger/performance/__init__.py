"""Model performance: realised metrics once labels arrive, estimated metrics before they do.

Pure computation over NumPy arrays; storing the results is the caller's business. Metric names
for storage are described in :mod:`predledger.performance.metric_names`.
"""

from predledger.performance._inputs import ClassLabel
from predledger.performance.calibration import (
    CalibrationBin,
    compute_calibration_table,
    expected_calibration_error,
)
from predledger.performance.estimation import (
    ConfidenceEstimator,
    EstimatedMetrics,
    EstimatedValue,
)
from predledger.performance.isotonic import CalibrationMode, IsotonicMap
from predledger.performance.metric_names import format_metric_name, parse_metric_name
from predledger.performance.metrics import (
    ClassificationMetrics,
    ClassMetrics,
    RegressionMetrics,
    compute_classification_metrics,
    compute_regression_metrics,
)

__all__ = [
    "CalibrationBin",
    "CalibrationMode",
    "ClassLabel",
    "ClassMetrics",
    "ClassificationMetrics",
    "ConfidenceEstimator",
    "EstimatedMetrics",
    "EstimatedValue",
    "IsotonicMap",
    "RegressionMetrics",
    "compute_calibration_table",
    "compute_classification_metrics",
    "compute_regression_metrics",
    "expected_calibration_error",
    "format_metric_name",
    "parse_metric_name",
]
