from rest_framework import serializers

from him.models import Facility
from him.policy import facility_ids
from records.models import Patient
from records.services import patients as patient_services


class ReachableFacilityField(serializers.SlugRelatedField):
    """A facility by code, limited to the facilities the caller can reach."""

    default_error_messages = {
        "does_not_exist": (
            "Facility {value} is unknown or outside the facilities you can reach: "
            "use the code of one of yours."
        ),
        "invalid": "Give the facility's code as text, e.g. MAIN.",
    }

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return Facility.objects.none()
        return Facility.objects.filter(pk__in=facility_ids(request.user), active=True)


def raise_errors(errors: dict[str, str]) -> None:
    if errors:
        raise serializers.ValidationError({k: [v] for k, v in errors.items()})


class ServiceSaveMixin:
    """Turn a service's Django ValidationError into a field-named 400."""

    def run(self, fn, **kwargs):
        from django.core.exceptions import ValidationError

        try:
            return fn(**kwargs)
        except ValidationError as exc:
            raise serializers.ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            ) from None


class PatientSerializer(ServiceSaveMixin, serializers.ModelSerializer):
    facility = ReachableFacilityField(slug_field="code")
    ssn = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=11,
        help_text='123-45-6789; "" removes it. Never returned: see ssn_masked and the ssn action.',
    )
    ssn_masked = serializers.CharField(read_only=True)
    merged_into = serializers.SlugRelatedField(slug_field="enterprise_id", read_only=True)

    class Meta:
        model = Patient
        fields = [
            "enterprise_id",
            "facility",
            "mrn",
            "family_name",
            "given_name",
            "middle_name",
            "suffix",
            "birth_date",
            "sex",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "phone",
            "email",
            "ssn",
            "ssn_masked",
            "deceased_date",
            "confidentiality",
            "restriction_reason",
            "merged_into",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["enterprise_id", "created_at", "updated_at"]
        # No generated unique-together check: validate() names the MRN clash in words
        # a person can act on, and the database constraint backs it (a 409).
        validators = []

    def validate(self, attrs):
        def current(name, default=None):
            return attrs.get(name, getattr(self.instance, name, default))

        facility, mrn = current("facility"), current("mrn")
        errors = patient_services.patient_errors(
            birth_date=current("birth_date"),
            deceased_date=current("deceased_date"),
            confidentiality=current("confidentiality", Patient.Confidentiality.NORMAL),
            restriction_reason=current("restriction_reason", "") or "",
            ssn=attrs.get("ssn"),
        )
        if patient_services.mrn_clash(facility=facility, mrn=mrn, patient=self.instance):
            errors["mrn"] = "This MRN is already used at this facility."
        raise_errors(errors)
        return attrs

    def create(self, validated_data):
        ssn = validated_data.pop("ssn", None)
        return self.run(
            patient_services.patient_save,
            patient=Patient(**validated_data),
            ssn=ssn,
            user=self._user(),
        )

    def update(self, instance, validated_data):
        ssn = validated_data.pop("ssn", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        return self.run(patient_services.patient_save, patient=instance, ssn=ssn, user=self._user())

    def _user(self):
        request = self.context.get("request")
        return getattr(request, "user", None)


class PatientBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Patient
        fields = ["enterprise_id", "family_name", "given_name", "birth_date"]
