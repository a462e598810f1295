from rest_framework import serializers

from him.models import AccessEvent


class AccessEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AccessEvent
        fields = [
            "seq",
            "at",
            "user_id",
            "username",
            "role",
            "action",
            "object_type",
            "object_id",
            "patient_id",
            "facility_id",
            "ip",
            "user_agent",
            "request_id",
            "outcome",
            "reason",
            "detail",
            "mac",
        ]
        read_only_fields = fields
