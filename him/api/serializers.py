from rest_framework import serializers

from him import trail
from him.models import AccessEvent


class AccessEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessEvent
        fields = [*trail.EXPORT_FIELDS, "user_id", "mac"]
        read_only_fields = fields
