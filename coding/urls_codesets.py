"""Pages of the codesets part."""

urlpatterns: list = []
