"""URLs of the documents part (included into the records namespace)."""

from django.urls import path

from records.views import documents as views
from records.views import scanning

urlpatterns = [
    path("documents/", views.DocumentListView.as_view(), name="document-list"),
    path("documents/add/", views.DocumentCreateView.as_view(), name="document-add"),
    path("documents/<uuid:public_id>/", views.DocumentDetailView.as_view(), name="document-detail"),
    path(
        "documents/<uuid:public_id>/content/",
        views.DocumentContentView.as_view(),
        name="document-content",
    ),
    path(
        "documents/<uuid:public_id>/download/",
        views.DocumentDownloadView.as_view(),
        name="document-download",
    ),
    path(
        "documents/<uuid:public_id>/versions/",
        views.DocumentHistoryView.as_view(),
        name="document-history",
    ),
    path(
        "documents/<uuid:public_id>/versions/add/",
        views.DocumentAddVersionView.as_view(),
        name="document-add-version",
    ),
    path(
        "documents/<uuid:public_id>/edit/", views.DocumentEditView.as_view(), name="document-edit"
    ),
    path(
        "documents/<uuid:public_id>/entered-in-error/",
        views.DocumentEnteredInErrorView.as_view(),
        name="document-entered-in-error",
    ),
    path(
        "documents/<uuid:public_id>/sign/", views.DocumentSignView.as_view(), name="document-sign"
    ),
    path(
        "documents/<uuid:public_id>/route/",
        views.DocumentRouteView.as_view(),
        name="document-route",
    ),
    path("signatures/", views.SignatureQueueView.as_view(), name="signature-queue"),
    path("transcription/", views.TranscriptionListView.as_view(), name="transcription-list"),
    path("transcription/new/", views.TranscriptionCreateView.as_view(), name="transcription-add"),
    path("scans/", scanning.ScanQueueView.as_view(), name="scan-queue"),
    path("scans/upload/", scanning.ScanUploadView.as_view(), name="scan-upload"),
    path("scans/<uuid:public_id>/", scanning.ScanIndexView.as_view(), name="scan-index"),
    path(
        "scans/<uuid:public_id>/content/", scanning.ScanContentView.as_view(), name="scan-content"
    ),
]
