"""URLs of restricted records and break-the-glass (included under records/access/)."""

from django.urls import path

from records.views import access as views

urlpatterns = [
    path("break-glass/", views.BreakGlassRequestView.as_view(), name="breakglass-request"),
    path(
        "break-glass/review/",
        views.BreakGlassReviewListView.as_view(),
        name="breakglass-review-list",
    ),
    path(
        "break-glass/review/<str:public_id>/",
        views.BreakGlassReviewDetailView.as_view(),
        name="breakglass-review-detail",
    ),
    path("grants/", views.GrantsView.as_view(), name="access-grants"),
    path("grants/patients/add/", views.PatientGrantAddView.as_view(), name="access-grant-patient"),
    path(
        "grants/documents/add/", views.DocumentGrantAddView.as_view(), name="access-grant-document"
    ),
    path(
        "grants/patients/<int:pk>/remove/",
        views.GrantRemoveView.as_view(kind="patient"),
        name="access-revoke-patient",
    ),
    path(
        "grants/documents/<int:pk>/remove/",
        views.GrantRemoveView.as_view(kind="document"),
        name="access-revoke-document",
    ),
]
