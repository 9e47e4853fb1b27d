"""Read-only analytics over the rollups: summaries, distributions, latency, time series."""
