"""Reads for the records app, one module per part."""
