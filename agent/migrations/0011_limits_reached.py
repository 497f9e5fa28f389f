"""Limits reached (agent.limits), an index for a person's turns of a day, and both admin groups may
read who reached a limit."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models


PERMISSION = "view_limitreached"


def permissions_grant(apps, schema_editor):
    app_config = apps.get_app_config("agent")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    permission = apps.get_model("auth", "Permission").objects.get(content_type__app_label="agent",
                                                                   codename=PERMISSION)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=("Staff", "Managers")):
        group.permissions.add(permission)


def permissions_revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=("Staff", "Managers")):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="agent", codename=PERMISSION))


class Migration(migrations.Migration):

    dependencies = [
        ('agent', '0010_agent_turn_cached_tokens'),
        ('whatsapp', '0008_heartbeat_and_retention'),
        ('accounts', '0002_staff_and_managers_groups'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='LimitReached',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('messages_per_minute', 'Messages per minute'), ('messages_per_day', 'Messages per day'), ('tokens_per_day', 'Model tokens per day')], max_length=32, verbose_name='limit')),
                ('limit', models.PositiveIntegerField(help_text='The limit in force then.')),
                ('started_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('last_at', models.DateTimeField(default=django.utils.timezone.now, help_text='The latest message it held back.')),
                ('messages', models.PositiveIntegerField(default=1, help_text='Messages held back (no model call).')),
            ],
            options={
                'verbose_name': 'limit reached',
                'verbose_name_plural': 'limits reached',
                'ordering': ['-last_at', '-id'],
            },
        ),
        migrations.AddIndex(
            model_name='agentturn',
            index=models.Index(fields=['user', 'created_at'], name='agent_agent_user_id_bbddba_idx'),
        ),
        migrations.AddField(
            model_name='limitreached',
            name='message',
            field=models.ForeignKey(blank=True, help_text='The first message held back (the notice answered it).', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='whatsapp.message'),
        ),
        migrations.AddField(
            model_name='limitreached',
            name='user',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='limitreached',
            index=models.Index(fields=['user', 'kind', 'last_at'], name='agent_limit_user_id_e3af46_idx'),
        ),
        migrations.RunPython(permissions_grant, permissions_revoke),
    ]
