from rest_framework.routers import SimpleRouter

from records.api import chart
from records.api.patients import PatientViewSet

app_name = "records-api"

router = SimpleRouter()
router.register("patients", PatientViewSet, basename="patient")
router.register("identifiers", chart.IdentifierViewSet, basename="identifier")
router.register("identifier-systems", chart.IdentifierSystemViewSet, basename="identifier-system")
router.register("providers", chart.ProviderViewSet, basename="provider")
router.register("encounters", chart.EncounterViewSet, basename="encounter")

urlpatterns = router.urls
