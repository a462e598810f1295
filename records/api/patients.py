from him.api.viewsets import PHIModelViewSet
from records.api.chart import PatientSSNMixin
from records.api.serializers import PatientSerializer
from records.filters import PatientFilterSet
from records.models import Patient


class PatientViewSet(PatientSSNMixin, PHIModelViewSet):
    queryset = Patient.objects.all()
    serializer_class = PatientSerializer
    filterset_class = PatientFilterSet
    lookup_field = "enterprise_id"
    ordering_fields = ["family_name", "birth_date", "created_at"]

    def get_queryset(self):
        return super().get_queryset().select_related("facility", "merged_into")
