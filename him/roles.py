"""The HIM roles. Each is a Django group, created by a data migration.

The platform's migration creates the groups and grants the platform's own
permissions; each app's data migration grants its models' permissions to the
roles (``grant``), so a lower layer never names a higher layer's models.
"""

from __future__ import annotations

HIM_TECHNICIAN = "HIM technician"
CODER = "Coder"
ROI_SPECIALIST = "ROI specialist"
AUDITOR = "Auditor"
HIM_MANAGER = "HIM manager"
PRIVACY_OFFICER = "Privacy officer"
PHYSICIAN = "Physician"
SYSTEM_ADMINISTRATOR = "System administrator"
INTEGRATION = "Integration"

ALL_ROLES = [
    HIM_TECHNICIAN,
    CODER,
    ROI_SPECIALIST,
    AUDITOR,
    HIM_MANAGER,
    PRIVACY_OFFICER,
    PHYSICIAN,
    SYSTEM_ADMINISTRATOR,
    INTEGRATION,
]

# What each role does, for the users-and-roles screen and the demo users.
DESCRIPTIONS = {
    HIM_TECHNICIAN: "Keeps patient records accurate, complete and organized.",
    CODER: "Assigns ICD-10-CM, ICD-10-PCS, CPT and HCPCS codes.",
    ROI_SPECIALIST: "Answers requests for records.",
    AUDITOR: "Checks charts and coding; read-only on records.",
    HIM_MANAGER: "Steers the department; reports and dashboards. Second factor required.",
    PRIVACY_OFFICER: "Watches the access trail; reviews break-the-glass. Second factor required.",
    PHYSICIAN: "Completes and signs charts.",
    SYSTEM_ADMINISTRATOR: "Manages users, roles and facility grants. Second factor required.",
    INTEGRATION: "Another system calling the REST API with a token.",
}

# Platform permissions ("app_label.codename") per role.
PLATFORM_PERMISSIONS = {
    HIM_MANAGER: [
        "him.view_facility",
        "him.view_accessevent",
        "him.add_reportrun",
        "him.view_reportrun",
    ],
    PRIVACY_OFFICER: [
        "him.view_facility",
        "him.view_accessevent",
        "him.export_accessevent",
        "him.add_reportrun",
        "him.view_reportrun",
    ],
    SYSTEM_ADMINISTRATOR: [
        "him.view_facility",
        "him.add_facility",
        "him.change_facility",
        "him.view_user",
        "him.add_user",
        "him.change_user",
        "auth.view_group",
        "him.add_facilityuserobjectpermission",
        "him.change_facilityuserobjectpermission",
        "him.delete_facilityuserobjectpermission",
        "him.view_facilityuserobjectpermission",
    ],
    AUDITOR: ["him.view_facility", "him.add_reportrun", "him.view_reportrun"],
    HIM_TECHNICIAN: ["him.view_facility"],
    CODER: ["him.view_facility"],
    ROI_SPECIALIST: ["him.view_facility"],
    PHYSICIAN: ["him.view_facility"],
    INTEGRATION: ["him.view_facility"],
}


def grant(apps, schema_editor, permissions_by_role: dict[str, list[str]]) -> None:
    """Give roles model permissions, from a data migration.

    Creates the permission rows first: Django only makes them after all
    migrations, and a fresh database runs this before that.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in permissions_by_role.items():
        group, _ = Group.objects.get_or_create(name=role)
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            perm = Permission.objects.get(content_type__app_label=app_label, codename=codename)
            group.permissions.add(perm)


# Kept in step after every migrate --------------------------------------------------------

_registered: dict[str, set[str]] = {}


def register(permissions_by_role: dict[str, list[str]]) -> None:
    """An app's role permissions (from its AppConfig.ready()), for ``sync``."""
    for role, perms in permissions_by_role.items():
        _registered.setdefault(role, set()).update(perms)


def sync(*, using: str = "default") -> None:
    """Make sure every role exists with at least its registered permissions.

    Runs after each ``migrate`` (post_migrate), so permissions of models added
    later reach the roles, and a database emptied by a flush gets its roles back.
    Never removes a permission an administrator added.
    """
    from django.contrib.auth.models import Group, Permission

    wanted = {p for perms in _registered.values() for p in perms}
    found = {
        f"{app}.{code}": pk
        for pk, app, code in Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
        if f"{app}.{code}" in wanted
    }
    for role in ALL_ROLES:
        group, _ = Group.objects.using(using).get_or_create(name=role)
        ids = [found[p] for p in _registered.get(role, ()) if p in found]
        if ids:
            group.permissions.add(*ids)


def sync_after_migrate(sender, using="default", **kwargs) -> None:
    from django.apps import apps

    # post_migrate is sent once per app; by the last one every permission exists.
    if sender is list(apps.get_app_configs())[-1]:
        sync(using=using)
