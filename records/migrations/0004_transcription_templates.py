from django.db import migrations

from records.transcription_defaults import load


class Migration(migrations.Migration):
    dependencies = [("records", "0003_documents")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
