from django.db import migrations, models
from django.db.models import Q

# As accounts.permissions had them when this was written (a migration keeps its own copy).
TEAM_ROLES = ("staff", "manager")


def team_members_conversations_private(apps, schema_editor):
    """The conversations of today's team members are theirs, for good: they wrote in them as such."""
    Conversation = apps.get_model("whatsapp", "Conversation")
    team = Q(user__is_superuser=True) | Q(user__role__in=TEAM_ROLES)
    Conversation.objects.filter(team).update(private=True)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_user_identity_set_by'),
        ('whatsapp', '0008_heartbeat_and_retention'),
    ]

    operations = [
        migrations.AddField(
            model_name='conversation',
            name='private',
            field=models.BooleanField(default=False, help_text="A team member's own conversation: private to them, the managers and the superusers, for good."),
        ),
        migrations.RunPython(team_members_conversations_private, migrations.RunPython.noop),
    ]
