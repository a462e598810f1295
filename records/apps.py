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
        demo.register_seed(_seed_synthetic_demo)
        from records import hooks

        hooks.register(hooks.SYNTHETIC_SEEDED, _deficiencies_after_seed)
        _ready_deficiencies()

        # Restricted records and break-the-glass (records/access.py).
        from him import trail
        from records import access, signals  # noqa: F401  (grant receivers)
        from records.models import Deficiency, Document, Encounter, PatientIdentifier
        from records.models import Patient as _Patient
        from records.roles import ACCESS_PERMISSIONS

        roles.register(ACCESS_PERMISSIONS)
        access.register_patient_models(_Patient, PatientIdentifier, Encounter, Document, Deficiency)
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

        from records import amendments_setup

        amendments_setup.ready()

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


def _ready_deficiencies() -> None:
    """Chart completion: hooks, scheduled work, dashboard tile, navigation."""
    from django.db.models.signals import post_migrate

    from him import dashboard, navigation, roles
    from him.celery import app
    from records import hooks
    from records.roles import DEFICIENCY_PERMISSIONS
    from records.services import deficiencies

    roles.register(DEFICIENCY_PERMISSIONS)

    hooks.register(hooks.ENCOUNTER_DISCHARGED, deficiencies.on_encounter_event)
    hooks.register(hooks.ENCOUNTER_CHANGED, deficiencies.on_encounter_event)
    hooks.register(hooks.DOCUMENT_FILED, deficiencies.on_document_event)
    hooks.register(hooks.DOCUMENT_SIGNED, deficiencies.on_document_event)
    hooks.register(hooks.DOCUMENT_STATUS_CHANGED, deficiencies.on_document_event)
    post_migrate.connect(
        _ensure_default_rules, dispatch_uid="records.deficiency_rules_defaults", weak=False
    )
    app.conf.beat_schedule["records-sweep-deficiencies"] = {
        "task": "records.tasks.sweep_deficiencies",
        "schedule": 3600.0,
    }
    app.conf.beat_schedule["records-deficiency-letters"] = {
        "task": "records.tasks.send_deficiency_letters",
        "schedule": 86400.0,
    }
    dashboard.register(
        dashboard.Tile(
            "records-delinquency",
            "Delinquency rate",
            "records.view_delinquency",
            deficiencies.delinquency_tile,
            order=20,
        )
    )
    for item in (
        navigation.NavItem(
            "Chart completion",
            "records:chart-completion",
            "records.view_deficiency",
            "My charts to complete: documents to dictate and sign.",
            order=20,
        ),
        navigation.NavItem(
            "Deficiencies",
            "records:deficiency-list",
            "records.view_deficiencyrule",
            "The deficiency work list: what is missing from which chart, and who owes it.",
            order=21,
        ),
        navigation.NavItem(
            "Deficiency letters",
            "records:deficiencyletter-list",
            "records.view_deficiencyletter",
            "Reminder and escalation letters to providers.",
            order=22,
        ),
    ):
        navigation.register(item)


def _ensure_default_rules(sender, **kwargs) -> None:
    from django.apps import apps

    if sender.name != "records" or not apps.is_installed("records"):
        return
    from records.services.deficiencies import deficiency_rules_ensure_defaults

    deficiency_rules_ensure_defaults()


def _seed_synthetic_demo(*, facilities, patients_per_facility: int = 40, rng_seed: int = 7) -> None:
    """``make run``: a richer synthetic set (documents, restricted and sensitive
    records) on top of the hand-made demo patients; once."""
    from records.synthetic import seed_small

    seed_small(facility_codes=[f.code for f in facilities], rng_seed=rng_seed)


def _deficiencies_after_seed(**kwargs) -> None:
    """Seeded encounters get their chart deficiencies, in bulk."""
    from records.services.deficiencies import deficiencies_sweep

    deficiencies_sweep()
