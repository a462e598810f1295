from rest_framework.routers import SimpleRouter

from records.api import deficiencies
from records.api.patients import PatientViewSet

app_name = "records-api"

router = SimpleRouter()
router.register("patients", PatientViewSet, basename="patient")
router.register("deficiencies", deficiencies.DeficiencyViewSet, basename="deficiency")
router.register("deficiency-rules", deficiencies.DeficiencyRuleViewSet, basename="deficiencyrule")
router.register("delinquency", deficiencies.DelinquencyViewSet, basename="delinquency")

urlpatterns = router.urls
