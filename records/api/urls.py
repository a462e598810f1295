from rest_framework.routers import SimpleRouter

from records.api import access as access_api
from records.api import chart, deficiencies
from records.api.amendments import AmendmentRequestViewSet
from records.api.documents import DocumentViewSet, ScanUploadViewSet
from records.api.patients import PatientViewSet

app_name = "records-api"

router = SimpleRouter()
router.register("patients", PatientViewSet, basename="patient")
router.register("deficiencies", deficiencies.DeficiencyViewSet, basename="deficiency")
router.register("deficiency-rules", deficiencies.DeficiencyRuleViewSet, basename="deficiencyrule")
router.register("delinquency", deficiencies.DelinquencyViewSet, basename="delinquency")
router.register("amendments", AmendmentRequestViewSet, basename="amendmentrequest")
router.register("break-glass", access_api.BreakGlassViewSet, basename="breakglass")
router.register(
    "break-glass-reviews", access_api.BreakGlassReviewViewSet, basename="breakglass-review"
)
router.register("patient-grants", access_api.PatientGrantViewSet, basename="patient-grant")
router.register("document-grants", access_api.DocumentGrantViewSet, basename="document-grant")
router.register("documents", DocumentViewSet, basename="document")
router.register("scan-uploads", ScanUploadViewSet, basename="scanupload")
router.register("identifiers", chart.IdentifierViewSet, basename="identifier")
router.register("identifier-systems", chart.IdentifierSystemViewSet, basename="identifier-system")
router.register("providers", chart.ProviderViewSet, basename="provider")
router.register("encounters", chart.EncounterViewSet, basename="encounter")

urlpatterns = router.urls
