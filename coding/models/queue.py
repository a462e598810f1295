"""Models of the queue part of coding."""

__all__: list[str] = []
