from django.apps import AppConfig


class HimConfig(AppConfig):
    name = "him"
    verbose_name = "HIM platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from him import reports, signals  # noqa: F401  (connect receivers, register reports)

        reports.register_builtin()

        from django.db.models.signals import post_migrate

        from him import trail

        # A flush (tests) or migration may empty the trail: drop cached chain heads.
        post_migrate.connect(trail.forget_heads, dispatch_uid="him-trail-forget-heads")

        from him import roles

        roles.register(roles.PLATFORM_PERMISSIONS)
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="him-roles-sync")

        from him import navigation as nav

        nav.register(
            nav.NavItem(
                "Access trail",
                "trail:accessevent-list",
                "him.view_accessevent",
                "Who touched which record, when, from where.",
                order=80,
            )
        )
        nav.register(
            nav.NavItem(
                "Reports",
                "reports:reportrun-list",
                "him.add_reportrun",
                "Run reports in the background; download CSV, XLSX or PDF.",
                order=90,
            )
        )
        nav.register(
            nav.NavItem(
                "Users and roles",
                "admin:him_user_changelist",
                "him.change_user",
                "Grant roles and facilities; every change is in the trail.",
                order=95,
            )
        )
