"""Ingest sources: one subpackage per source, each writing through the Store in one transaction."""
