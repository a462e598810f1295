from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "records"
    verbose_name = "Records"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from him import navigation

        navigation.register(
            navigation.NavItem(
                "Patients",
                "records:patient-list",
                "records.view_patient",
                "Find a patient; open the chart.",
                order=10,
            )
        )
