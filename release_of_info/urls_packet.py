"""Documents, redactions, packets and the quality check (release_of_info namespace)."""

from django.urls import path

from release_of_info import packet_views as views

urlpatterns = [
    path(
        "requests/<uuid:public_id>/documents/add/",
        views.DocumentAddView.as_view(),
        name="requestdocument-add",
    ),
    path(
        "request-documents/<int:pk>/pages/<int:page>.png",
        views.PagePreviewView.as_view(),
        name="item-page",
    ),
    path(
        "request-documents/<int:pk>/redact/<int:page>/",
        views.RedactView.as_view(),
        name="item-redact",
    ),
    path("request-documents/<int:pk>/<str:step>/", views.ItemStepView.as_view(), name="item-step"),
    path(
        "redactions/<int:pk>/delete/", views.RedactionDeleteView.as_view(), name="redaction-delete"
    ),
    path(
        "requests/<uuid:public_id>/packet/build/",
        views.PacketBuildView.as_view(),
        name="packet-build",
    ),
    path(
        "packets/<uuid:public_id>/status/", views.PacketStatusView.as_view(), name="packet-status"
    ),
    path(
        "packets/<uuid:public_id>/download/",
        views.PacketDownloadView.as_view(),
        name="packet-download",
    ),
    path(
        "packets/<uuid:public_id>/<str:verdict>/",
        views.PacketCheckView.as_view(),
        name="packet-check",
    ),
    path("qa/", views.QAQueueView.as_view(), name="qa-queue"),
]
