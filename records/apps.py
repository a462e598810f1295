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
        navigation.register(
            navigation.NavItem(
                "Encounters",
                "records:encounter-list",
                "records.view_encounter",
                "Visits and stays: admit, discharge, attending.",
                order=12,
            )
        )
        navigation.register(
            navigation.NavItem(
                "Providers",
                "records:provider-list",
                "records.view_provider",
                "Physicians and clinicians; NPI.",
                order=14,
            )
        )
        from him import demo
        from records.demo import seed_records

        demo.register_seed(seed_records)


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
