from django.db import migrations


def create_roles(apps, schema_editor):
    from him import roles

    Group = apps.get_model("auth", "Group")
    for name in roles.ALL_ROLES:
        Group.objects.get_or_create(name=name)
    roles.grant(apps, schema_editor, roles.PLATFORM_PERMISSIONS)


def remove_roles(apps, schema_editor):
    from him import roles

    apps.get_model("auth", "Group").objects.filter(name__in=roles.ALL_ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("him", "0002_trail_append_only"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
