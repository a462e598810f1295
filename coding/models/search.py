"""Models of the search part of coding."""

__all__: list[str] = []
