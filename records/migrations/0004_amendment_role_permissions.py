from django.db import migrations

from him import roles
from records.roles import AMENDMENT_PERMISSIONS


def grant(apps, schema_editor):
    roles.grant(apps, schema_editor, AMENDMENT_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("records", "0003_amendments")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
