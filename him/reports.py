def register_builtin() -> None:
    """Registered by the report engine (being written)."""
