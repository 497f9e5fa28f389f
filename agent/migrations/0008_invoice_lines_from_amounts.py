"""Every invoice made before lines existed gets one line equal to its amounts (quantity 1 at its
net, its tax rate), so each invoice has lines from now on; and the admin groups get the new models'
permissions: both groups read the business profile and incoming e-invoices, managers also change
the profile and mark incoming e-invoices reviewed. (Lines are edited with their invoice: the
invoice's permissions decide.)"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

STAFF = ["agent.view_businessprofile", "agent.view_incomingeinvoice"]
MANAGERS = STAFF + ["agent.change_businessprofile", "agent.change_incomingeinvoice"]
GROUPS = {"Staff": STAFF, "Managers": MANAGERS}


def lines_from_amounts(apps, schema_editor):
    Invoice = apps.get_model("agent", "Invoice")
    InvoiceLine = apps.get_model("agent", "InvoiceLine")
    batch = []
    for invoice in Invoice.objects.filter(lines__isnull=True).iterator(chunk_size=500):
        batch.append(InvoiceLine(invoice_id=invoice.pk, position=1, description=(invoice.description or "-")[:500],
                                 quantity=1, unit="C62", unit_price=invoice.net, tax_rate=invoice.tax_rate,
                                 net_amount=invoice.net))
        if len(batch) >= 500:
            InvoiceLine.objects.bulk_create(batch)
            batch = []
    InvoiceLine.objects.bulk_create(batch)


def lines_remove(apps, schema_editor):
    apps.get_model("agent", "InvoiceLine").objects.all().delete()


def permissions_grant(apps, schema_editor):
    app_config = apps.get_app_config("agent")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in GROUPS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def permissions_revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    codenames = {code.split(".")[1] for code in MANAGERS}
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="agent", codename__in=codenames))


class Migration(migrations.Migration):

    dependencies = [
        ("agent", "0007_invoice_documents"),
        ("accounts", "0002_staff_and_managers_groups"),
    ]

    operations = [
        migrations.RunPython(lines_from_amounts, lines_remove),
        migrations.RunPython(permissions_grant, permissions_revoke),
    ]
