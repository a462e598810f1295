from django.urls import include, path
from rest_framework.routers import SimpleRouter

from him.api import views

router = SimpleRouter()
router.register("trail/events", views.AccessEventViewSet, basename="accessevent")

urlpatterns = [
    path("", include((router.urls, "him-api"))),
    path("records/", include("records.api.urls")),
]
