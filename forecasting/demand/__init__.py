"""Demand: users to req/s to peak, and what demand paths reach (runway to thresholds)."""
