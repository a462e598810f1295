"""Pages of the workspace part."""

urlpatterns: list = []
