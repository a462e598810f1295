"""API of the packet part: viewsets registered on the app router, plus plain paths."""

urlpatterns: list = []


def register(router) -> None:
    """Register this part's viewsets on the app's router."""
