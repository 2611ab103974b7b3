"""Savings models: commitments, right-sizing, CDN, database, stacked without double counting."""
