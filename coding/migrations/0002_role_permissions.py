from django.db import migrations

from coding.roles import PERMISSIONS
from him import roles


def grant(apps, schema_editor):
    roles.grant(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("coding", "0001_initial"), ("him", "0003_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
