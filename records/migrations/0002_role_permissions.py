from django.db import migrations

from him import roles

PERMISSIONS = {
    roles.HIM_TECHNICIAN: [
        "records.view_patient",
        "records.add_patient",
        "records.change_patient",
    ],
    roles.CODER: ["records.view_patient"],
    roles.ROI_SPECIALIST: ["records.view_patient"],
    roles.AUDITOR: ["records.view_patient"],
    roles.HIM_MANAGER: ["records.view_patient"],
    roles.PRIVACY_OFFICER: ["records.view_patient"],
    roles.PHYSICIAN: ["records.view_patient"],
    roles.INTEGRATION: [
        "records.view_patient",
        "records.add_patient",
        "records.change_patient",
    ],
}


def grant(apps, schema_editor):
    roles.grant(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("records", "0001_initial"), ("him", "0003_roles")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
