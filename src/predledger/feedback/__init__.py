"""Ground truth that arrives after the prediction."""
