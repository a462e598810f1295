"""Pages of the packet part."""

urlpatterns: list = []
