"""Release, delivery and the accounting of disclosures (release_of_info namespace)."""

from django.urls import path

from release_of_info import release_views as views

urlpatterns = [
    path("requests/<uuid:public_id>/release/", views.ReleaseView.as_view(), name="release"),
    path(
        "requests/<uuid:public_id>/new-link/", views.NewLinkView.as_view(), name="delivery-new-link"
    ),
    path(
        "deliveries/<uuid:public_id>/revoke/",
        views.DeliveryRevokeView.as_view(),
        name="delivery-revoke",
    ),
    # The recipient's secure link: no account, the token is the credential.
    path("d/<str:token>/", views.LinkView.as_view(), name="link"),
    path("disclosures/", views.DisclosureListView.as_view(), name="disclosure-list"),
    path(
        "disclosures/patient/",
        views.PatientDisclosuresOpenView.as_view(),
        name="patient-disclosures-open",
    ),
    path(
        "patients/<str:enterprise_id>/disclosures/",
        views.PatientDisclosuresView.as_view(),
        name="patient-disclosures",
    ),
    path(
        "patients/<str:enterprise_id>/disclosures/add/",
        views.DisclosureAddView.as_view(),
        name="disclosure-add",
    ),
    path(
        "patients/<str:enterprise_id>/suspensions/add/",
        views.SuspensionAddView.as_view(),
        name="suspension-add",
    ),
    path(
        "patients/<str:enterprise_id>/accounting/add/",
        views.AccountingRequestAddView.as_view(),
        name="accountingrequest-add",
    ),
    path(
        "accounting/<uuid:public_id>/<str:kind>.pdf",
        views.AccountingFileView.as_view(),
        name="accountingrequest-file",
    ),
    path(
        "accounting/<uuid:public_id>/<str:step>/",
        views.AccountingStepView.as_view(),
        name="accountingrequest-step",
    ),
]
