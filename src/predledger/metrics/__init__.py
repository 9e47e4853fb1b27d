"""Time series: model performance metrics and system metrics."""
