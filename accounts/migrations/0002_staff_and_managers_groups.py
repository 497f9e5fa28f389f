"""The groups "Staff" and "Managers" with their model permissions.

Staff manage numbers, read transcripts, take conversations over and manage invoices and customers;
managers also change and review expenses, manage revenue and see the dashboard. Permissions are
created here (post_migrate would be too late for this migration), and people already in the
database join the group of their role.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF = [
    "accounts.view_user", "accounts.add_user", "accounts.change_user",
    "whatsapp.view_conversation", "whatsapp.change_conversation", "whatsapp.view_message",
    "whatsapp.view_webhookevent", "whatsapp.view_statusupdate", "whatsapp.view_channelalert",
    "agent.view_invoice", "agent.add_invoice", "agent.change_invoice",
    "agent.view_customer", "agent.add_customer", "agent.change_customer",
    "agent.view_revenue",
    "agent.view_expense", "agent.add_expense",
]
MANAGERS = STAFF + [
    "agent.change_expense", "agent.review_expense", "agent.view_dashboard",
    "agent.add_revenue", "agent.change_revenue",
]
GROUPS = {"Staff": STAFF, "Managers": MANAGERS}
ROLE_GROUPS = {"staff": "Staff", "manager": "Managers"}


def groups_create(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("accounts", "User")
    for name, codes in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    for role, name in ROLE_GROUPS.items():
        group = Group.objects.get(name=name)
        for user in User.objects.filter(role=role):
            user.groups.add(group)
        User.objects.filter(role=role).update(is_staff=True)
    User.objects.filter(role="customer", is_superuser=False).update(is_staff=False)


def groups_delete(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("agent", "0002_expense_permissions"),
        ("whatsapp", "0002_message_media_file"),
    ]

    operations = [migrations.RunPython(groups_create, groups_delete)]
