from rest_framework.routers import SimpleRouter

from records.api.amendments import AmendmentRequestViewSet
from records.api.patients import PatientViewSet

app_name = "records-api"

router = SimpleRouter()
router.register("patients", PatientViewSet, basename="patient")
router.register("amendments", AmendmentRequestViewSet, basename="amendmentrequest")

urlpatterns = router.urls
