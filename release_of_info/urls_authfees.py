"""Pages of the authfees part."""

urlpatterns: list = []
