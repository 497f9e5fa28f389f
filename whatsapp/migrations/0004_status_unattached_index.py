"""A partial index for the sweeper's look at statuses not attached to a message.

On PostgreSQL it is built CONCURRENTLY, so status webhooks keep being stored while it builds
(a plain CREATE INDEX would block writes to the table for the whole build).
"""

from django.db import migrations, models

INDEX = models.Index(condition=models.Q(("message__isnull", True)), fields=["received_at"], name="status_unattached")


def create(apps, schema_editor):
    model = apps.get_model("whatsapp", "StatusUpdate")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(model, INDEX, concurrently=True)
    else:
        schema_editor.add_index(model, INDEX)


def drop(apps, schema_editor):
    model = apps.get_model("whatsapp", "StatusUpdate")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(model, INDEX, concurrently=True)
    else:
        schema_editor.remove_index(model, INDEX)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("whatsapp", "0003_sandbox"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="statusupdate", index=INDEX)],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
