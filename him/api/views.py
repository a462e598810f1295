from him.api.serializers import AccessEventSerializer
from him.api.viewsets import PHIReadOnlyViewSet
from him.filters import AccessEventFilterSet
from him.models import AccessEvent


class AccessEventViewSet(PHIReadOnlyViewSet):
    """The access trail, read-only, for the privacy officer's tools."""

    queryset = AccessEvent.objects.all()
    serializer_class = AccessEventSerializer
    filterset_class = AccessEventFilterSet
    lookup_field = "seq"
    ordering_fields = ["seq", "at"]
