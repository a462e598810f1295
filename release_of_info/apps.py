from django.apps import AppConfig


class ReleaseOfInfoConfig(AppConfig):
    name = "release_of_info"
    verbose_name = "Release of information"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from him import roles
        from records import access
        from release_of_info.models import Packet, Redaction, RequestDocument, ROIRequest
        from release_of_info.roles import PERMISSIONS

        roles.register(PERMISSIONS)
        access.register_patient_models(ROIRequest, RequestDocument, Redaction, Packet)

        # Each part wires itself (navigation, panels, hooks, reports, roles) in its setup module.
        from release_of_info import setup_authfees, setup_packet, setup_release, setup_requests

        for part in (setup_requests, setup_authfees, setup_packet, setup_release):
            part.ready()
