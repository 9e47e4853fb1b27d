"""Names of stored performance metrics.

A metric is stored as one row of ``performance_metrics`` per name. A name is either a bare
metric (``accuracy``, ``f1_macro``, ``rmse``) or a metric qualified by exactly one label, written
``metric[key=value]``: ``f1[class=yes]``, ``calibration_observed[bin=0.3-0.4]``. The value is
everything between the first ``=`` and the final ``]``, so any class label survives a round
trip through :func:`format_metric_name` and :func:`parse_metric_name`; the part before ``[``
is the metric and the key/value pair is what belongs in the row's ``labels`` JSON.

Names in use:

- classification: ``count``, ``accuracy``, ``precision_macro``, ``recall_macro``,
  ``f1_macro``, ``roc_auc``, ``log_loss``, ``calibration_error``; per class ``precision``,
  ``recall``, ``f1``, ``support`` with ``[class=...]``; per calibration bin
  ``calibration_mean_predicted``, ``calibration_observed``, ``calibration_count`` with
  ``[bin=lower-upper]``.
- regression: ``count``, ``mae``, ``rmse``, ``r2``, ``mape``, ``mape_count``.
- estimation (before labels arrive): ``estimated_count``, ``estimated_accuracy``,
  ``estimated_f1_macro`` (multiclass) and ``estimated_f1[class=...]``, each value with
  ``_se``, ``_lower`` and ``_upper`` companions (``estimated_f1_se[class=yes]``).
"""

from __future__ import annotations

from predledger.performance._inputs import ClassLabel


def format_metric_name(metric: str, key: str | None = None, value: ClassLabel | None = None) -> str:
    """Return the stored name of ``metric``, qualified by one label when ``key`` is given.

    Args:
        metric: Bare metric name such as ``"f1"``; must not contain ``[``.
        key: Label key such as ``"class"`` or ``"bin"``; must not contain ``=``.
        value: Label value; rendered with ``str``.

    Returns:
        ``metric`` or ``metric[key=value]``.
    """
    if "[" in metric or (key is not None and "=" in key):
        raise ValueError(f"metric {metric!r} and key {key!r} must not contain '[' or '='")
    if key is None:
        return metric
    return f"{metric}[{key}={value}]"


def parse_metric_name(name: str) -> tuple[str, dict[str, str]]:
    """Split a stored metric name into the bare metric and its labels.

    Args:
        name: A name built by :func:`format_metric_name`.

    Returns:
        ``("f1", {"class": "yes"})`` for ``"f1[class=yes]"``; ``("accuracy", {})`` for
        ``"accuracy"``.
    """
    metric, bracket, rest = name.partition("[")
    if not bracket:
        return name, {}
    if not rest.endswith("]") or "=" not in rest:
        raise ValueError(f"malformed metric name {name!r}: expected metric[key=value]")
    key, _, value = rest[:-1].partition("=")
    return metric, {key: value}
