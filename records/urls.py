from django.urls import include, path

from records.views import patients as patient_views

app_name = "records"

urlpatterns = [
    path("patients/", patient_views.PatientListView.as_view(), name="patient-list"),
    path("patients/add/", patient_views.PatientCreateView.as_view(), name="patient-add"),
    path(
        "patients/<str:enterprise_id>/",
        patient_views.PatientDetailView.as_view(),
        name="patient-detail",
    ),
    path(
        "patients/<str:enterprise_id>/edit/",
        patient_views.PatientUpdateView.as_view(),
        name="patient-edit",
    ),
    path("access/", include("records.urls_access")),
    path("", include("records.urls_deficiencies")),
    path("", include("records.urls_amendments")),
    path("", include("records.urls_documents")),
    path("", include("records.urls_chart")),
]
