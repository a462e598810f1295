from rest_framework.routers import SimpleRouter

from records.api.documents import DocumentViewSet, ScanUploadViewSet
from records.api.patients import PatientViewSet

app_name = "records-api"

router = SimpleRouter()
router.register("patients", PatientViewSet, basename="patient")
router.register("documents", DocumentViewSet, basename="document")
router.register("scan-uploads", ScanUploadViewSet, basename="scanupload")

urlpatterns = router.urls
