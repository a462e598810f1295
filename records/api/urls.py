from rest_framework.routers import SimpleRouter

from records.api.patients import PatientViewSet

app_name = "records-api"

router = SimpleRouter()
router.register("patients", PatientViewSet, basename="patient")

urlpatterns = router.urls
