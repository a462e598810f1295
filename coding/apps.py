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
