"""Models of the workspace part of coding."""

__all__: list[str] = []
