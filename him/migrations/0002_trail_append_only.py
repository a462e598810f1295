from django.db import migrations


def install(apps, schema_editor):
    from him import trail_db

    trail_db.install(schema_editor.connection)


def remove(apps, schema_editor):
    from him import trail_db

    trail_db.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("him", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
