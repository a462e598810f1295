from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "Records"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from him import navigation, patients, roles
        from records.roles import PERMISSIONS

        roles.register(PERMISSIONS)

        patients.register(resolve=_resolve_patient, label=_label_patients)

        navigation.register(
            navigation.NavItem(
                "Patients",
                "records:patient-list",
                "records.view_patient",
                "Find a patient; open the chart.",
                order=10,
            )
        )

        # Restricted records and break-the-glass (records/access.py).
        from him import trail
        from records import access, signals  # noqa: F401  (grant receivers)
        from records.models import Document, Encounter, PatientIdentifier
        from records.models import Patient as _Patient
        from records.roles import ACCESS_PERMISSIONS

        roles.register(ACCESS_PERMISSIONS)
        access.register_patient_models(_Patient, PatientIdentifier, Encounter, Document)
        access.register_document_models(Document)
        trail.register_annotator(access.break_glass_marker)
        navigation.register(
            navigation.NavItem(
                "Emergency access",
                "records:breakglass-request",
                "records.add_breakglassaccess",
                "Break the glass: open a restricted record in an emergency, with a reason.",
                order=15,
            )
        )
        navigation.register(
            navigation.NavItem(
                "Break-the-glass review",
                "records:breakglass-review-list",
                "records.review_breakglassaccess",
                "Review each emergency access and what was done under it.",
                order=82,
            )
        )
        navigation.register(
            navigation.NavItem(
                "Access grants",
                "records:access-grants",
                "records.view_patientuserobjectpermission",
                "Who may open restricted patients and sensitive documents.",
                order=83,
            )
        )


def _resolve_patient(text: str) -> list[int]:
    # Names a patient for the trail viewer's filter; the trail is the privacy
    # officer's tool, and names every patient regardless of facility grants.
    from records.models import Patient

    return list(
        Patient.objects.filter(enterprise_id__iexact=text).values_list("pk", flat=True)
    ) or list(Patient.objects.filter(mrn__iexact=text).values_list("pk", flat=True))


def _label_patients(ids) -> dict[int, str]:
    from records.models import Patient

    return dict(Patient.objects.filter(pk__in=list(ids)).values_list("pk", "enterprise_id"))
