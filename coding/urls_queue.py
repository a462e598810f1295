"""Pages of the queue part."""

urlpatterns: list = []
