"""Pages of the release part."""

urlpatterns: list = []
