"""Moderation: requests, results and the user's thresholds."""
