"""The chart's screens: SSN, identifiers, encounters, providers (included by records/urls.py)."""

from django.urls import path

from records.views import chart, providers
from records.views import patients as patient_views

urlpatterns = [
    path(
        "patients/<str:enterprise_id>/ssn/",
        patient_views.PatientSSNView.as_view(),
        name="patient-ssn",
    ),
    path(
        "patients/<str:enterprise_id>/identifiers/add/",
        chart.IdentifierAddView.as_view(),
        name="identifier-add",
    ),
    path(
        "identifiers/<int:pk>/remove/",
        chart.IdentifierRemoveView.as_view(),
        name="identifier-remove",
    ),
    path("encounters/", chart.EncounterListView.as_view(), name="encounter-list"),
    path("encounters/add/", chart.EncounterCreateView.as_view(), name="encounter-add"),
    path(
        "encounters/<uuid:public_id>/",
        chart.EncounterDetailView.as_view(),
        name="encounter-detail",
    ),
    path(
        "encounters/<uuid:public_id>/edit/",
        chart.EncounterUpdateView.as_view(),
        name="encounter-edit",
    ),
    path(
        "encounters/<uuid:public_id>/discharge/",
        chart.EncounterDischargeView.as_view(),
        name="encounter-discharge",
    ),
    path("providers/", providers.ProviderListView.as_view(), name="provider-list"),
    path("providers/add/", providers.ProviderCreateView.as_view(), name="provider-add"),
    path("providers/<str:npi>/", providers.ProviderDetailView.as_view(), name="provider-detail"),
    path("providers/<str:npi>/edit/", providers.ProviderUpdateView.as_view(), name="provider-edit"),
]
