"""Pages of the edits part."""

urlpatterns: list = []
