"""Publishers record the progress of directives: dated notes, added inline on a directive in the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Publishers"
PERMISSIONS = [
    ("priorities", "view_progressnote"),
    ("priorities", "add_progressnote"),
    ("priorities", "change_progressnote"),
    ("priorities", "delete_progressnote"),
]


def forwards(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now so the group can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=GROUP).first()
    if group is not None:
        codenames = [codename for _app, codename in PERMISSIONS]
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="priorities", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("priorities", "0005_progress_notes"),
        ("priorities", "0003_publishers_group"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
