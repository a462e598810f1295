from django.urls import include, path
from rest_framework.routers import SimpleRouter

from him.api import reports, views

router = SimpleRouter()
router.register("trail/events", views.AccessEventViewSet, basename="accessevent")
router.register("reports/runs", reports.ReportRunViewSet, basename="reportrun")

urlpatterns = [
    path("", include((router.urls, "him-api"))),
    path("records/", include("records.api.urls")),
    path("coding/", include("coding.api.urls")),
    path("roi/", include("release_of_info.api.urls")),
]
