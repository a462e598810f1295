"""Pages of the codesets part."""

from django.urls import path

from coding import codesets_views as views

urlpatterns: list = [
    path("code-sets/", views.CodeSetListView.as_view(), name="codeset-list"),
    path("code-sets/import/", views.CodeSetImportView.as_view(), name="codeset-import"),
    path(
        "code-sets/imports/<uuid:public_id>/",
        views.CodeSetImportStatusView.as_view(),
        name="codeset-import-status",
    ),
    path("code-sets/<int:pk>/", views.CodeSetDetailView.as_view(), name="codeset-detail"),
]
