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

        from records.roles import DOCUMENT_PERMISSIONS

        roles.register(DOCUMENT_PERMISSIONS)
        for label, url_name, permission, description, order in (
            (
                "Scanning queue",
                "records:scan-queue",
                "records.add_scanupload",
                "Index scanned pages to patients.",
                30,
            ),
            (
                "Transcription",
                "records:transcription-list",
                "records.transcribe",
                "Type dictated reports from templates; route them for signature.",
                31,
            ),
            (
                "Signature queue",
                "records:signature-queue",
                "records.sign_document",
                "Documents waiting for your signature.",
                32,
            ),
        ):
            navigation.register(navigation.NavItem(label, url_name, permission, description, order))


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
