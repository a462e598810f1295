"""Pages of the requests part."""

urlpatterns: list = []
