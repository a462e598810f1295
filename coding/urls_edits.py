"""Pages of the edits part."""

from django.urls import path

from coding import edits_views

urlpatterns: list = [
    path("edits/", edits_views.EditCatalogView.as_view(), name="edit-catalog"),
    path("edits/check/", edits_views.EditCheckView.as_view(), name="edit-check"),
]
