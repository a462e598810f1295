"""Models of the authfees part of release of information."""

__all__: list[str] = []
