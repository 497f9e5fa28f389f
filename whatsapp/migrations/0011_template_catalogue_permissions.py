"""Staff and managers may see the template catalogue (and sync it from Meta)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAME = "view_messagetemplate"
GROUPS = ("Staff", "Managers")


def grant(apps, schema_editor):
    app_config = apps.get_app_config("whatsapp")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="whatsapp", codename=CODENAME)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="whatsapp", codename=CODENAME))


class Migration(migrations.Migration):
    dependencies = [
        ("whatsapp", "0010_template_catalogue"),
        ("accounts", "0002_staff_and_managers_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
