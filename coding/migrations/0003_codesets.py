"""Grant the code-set import permissions (HIM manager, system administrator).

``roles.sync`` would grant them after migrate too, but through the live Group
model, whose permission changes are written to the trail as privilege events;
granting them here, like 0002 does, keeps a fresh database's trail empty.
"""

from django.db import migrations

from coding.roles_codesets import PERMISSIONS
from him import roles


def grant(apps, schema_editor):
    roles.grant(apps, schema_editor, PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("coding", "0002_role_permissions")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
