from django.db import migrations

from him import roles
from records.roles import PERMISSIONS


def grant(apps, schema_editor):
    roles.grant(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial"), ("him", "0003_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
