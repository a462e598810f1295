from django.urls import path

from records import views

app_name = "records"

urlpatterns = [
    path("patients/", views.PatientListView.as_view(), name="patient-list"),
    path("patients/add/", views.PatientCreateView.as_view(), name="patient-add"),
    path("patients/<str:enterprise_id>/", views.PatientDetailView.as_view(), name="patient-detail"),
    path(
        "patients/<str:enterprise_id>/edit/", views.PatientUpdateView.as_view(), name="patient-edit"
    ),
]
