"""Byte-for-byte outputs of every CLI command on a fixed demo (regenerate: make golden)."""
