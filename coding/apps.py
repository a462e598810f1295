from django.apps import AppConfig


class CodingConfig(AppConfig):
    name = "coding"
    verbose_name = "Coding"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from coding.models import DiagnosisLine, EncounterCoding, ProcedureLine, ServiceLine
        from coding.roles import PERMISSIONS
        from him import roles
        from records import access

        roles.register(PERMISSIONS)
        # Restricted patients reach their coding only with a grant, like their chart.
        access.register_patient_models(EncounterCoding, DiagnosisLine, ProcedureLine, ServiceLine)

        # Each part wires itself (navigation, hooks, reports, roles) in its setup module.
        from coding import setup_codesets, setup_edits, setup_queue, setup_search, setup_workspace

        for part in (setup_codesets, setup_search, setup_edits, setup_workspace, setup_queue):
            part.ready()
