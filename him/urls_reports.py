from django.urls import path

from him.views import reports

app_name = "reports"

urlpatterns = [
    path("", reports.ReportRunListView.as_view(), name="reportrun-list"),
    path("new/", reports.ReportRunCreateView.as_view(), name="reportrun-add"),
    path(
        "runs/<uuid:public_id>/status/",
        reports.ReportRunStatusView.as_view(),
        name="reportrun-status",
    ),
    path(
        "runs/<uuid:public_id>/download/",
        reports.ReportRunDownloadView.as_view(),
        name="reportrun-download",
    ),
]
