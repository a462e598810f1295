from rest_framework import serializers

from him.models import Facility
from him.policy import facility_ids
from records.models import Patient


class ReachableFacilityField(serializers.SlugRelatedField):
    """A facility by code, limited to the facilities the caller can reach."""

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Facility.objects.none()
        return Facility.objects.filter(pk__in=facility_ids(request.user), active=True)


class PatientSerializer(serializers.ModelSerializer):
    facility = ReachableFacilityField(slug_field="code")

    class Meta:
        model = Patient
        fields = [
            "enterprise_id",
            "facility",
            "mrn",
            "family_name",
            "given_name",
            "birth_date",
            "sex",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["enterprise_id", "created_at", "updated_at"]
        # No generated unique-together check: validate() names the MRN clash in words
        # a person can act on, and the database constraint backs it (a 409).
        validators = []

    def validate_birth_date(self, value):
        from django.utils import timezone

        if value > timezone.localdate():
            raise serializers.ValidationError("Birth date cannot be in the future.")
        return value

    def validate(self, attrs):
        facility = attrs.get("facility", getattr(self.instance, "facility", None))
        mrn = attrs.get("mrn", getattr(self.instance, "mrn", None))
        clash = Patient.objects.filter(facility=facility, mrn=mrn)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if facility and mrn and clash.exists():
            raise serializers.ValidationError(
                {"mrn": ["This MRN is already used at this facility."]}
            )
        return attrs


class PatientBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = ["enterprise_id", "family_name", "given_name", "birth_date"]
