"""Pages of the search part."""

urlpatterns: list = []
