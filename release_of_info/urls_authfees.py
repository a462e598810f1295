"""Pages of the authfees part."""

from django.urls import path

from release_of_info import authfees_views as views

urlpatterns = [
    path(
        "requests/<uuid:public_id>/authorization/",
        views.RequestAuthorizationView.as_view(),
        name="request-authorization",
    ),
    path(
        "requests/<uuid:public_id>/authorizations/new/",
        views.AuthorizationCreateView.as_view(),
        name="authorization-create",
    ),
    path(
        "requests/<uuid:public_id>/identity/",
        views.IdentityVerifyView.as_view(),
        name="request-identity",
    ),
    path(
        "requests/<uuid:public_id>/disclosure-basis/",
        views.DisclosureBasisView.as_view(),
        name="disclosure-basis",
    ),
    path(
        "disclosure-bases/<uuid:public_id>/file/",
        views.DisclosureBasisFileView.as_view(),
        name="disclosure-basis-file",
    ),
    path(
        "authorizations/<uuid:public_id>/",
        views.AuthorizationDetailView.as_view(),
        name="authorization-detail",
    ),
    path(
        "authorizations/<uuid:public_id>/edit/",
        views.AuthorizationUpdateView.as_view(),
        name="authorization-update",
    ),
    path(
        "authorizations/<uuid:public_id>/upload/",
        views.AuthorizationUploadView.as_view(),
        name="authorization-upload",
    ),
    path(
        "authorizations/<uuid:public_id>/revoke/",
        views.AuthorizationRevokeView.as_view(),
        name="authorization-revoke",
    ),
    path(
        "authorizations/<uuid:public_id>/file/",
        views.AuthorizationFileView.as_view(),
        name="authorization-file",
    ),
    path("fees/", views.FeeListView.as_view(), name="fee-list"),
    path("fees/schedules/new/", views.FeeScheduleCreateView.as_view(), name="feeschedule-create"),
    path(
        "fees/schedules/<uuid:public_id>/edit/",
        views.FeeScheduleUpdateView.as_view(),
        name="feeschedule-update",
    ),
    path(
        "fees/schedules/<uuid:public_id>/delete/",
        views.FeeScheduleDeleteView.as_view(),
        name="feeschedule-delete",
    ),
    path("fees/policy/<str:code>/", views.FeePolicyView.as_view(), name="feepolicy-edit"),
    path("invoices/<uuid:public_id>/paid/", views.InvoicePaidView.as_view(), name="invoice-paid"),
    path(
        "invoices/<uuid:public_id>/waive/", views.InvoiceWaiveView.as_view(), name="invoice-waive"
    ),
]
