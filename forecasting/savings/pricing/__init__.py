"""The price catalogue's AWS rows from the Price List API: `refresh` does it, `commands` runs it."""
