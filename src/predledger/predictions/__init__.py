"""Predictions: the logged rows and their hourly rollups."""
