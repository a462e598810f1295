"""Models of the release part of release of information."""

__all__: list[str] = []
