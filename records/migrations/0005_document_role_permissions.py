from django.db import migrations

from him import roles
from records.roles import DOCUMENT_PERMISSIONS


def grant(apps, schema_editor):
    # Granted here, not left to roles.sync after migrate: a grant made by sync is a
    # privilege change in the trail, and a fresh database should start with none.
    roles.grant(apps, schema_editor, DOCUMENT_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("records", "0004_transcription_templates"), ("him", "0003_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
