"""Intake stores whatever a signed body holds; other business numbers are told apart."""
from django.conf import settings
from django.db import migrations, models


def statuses_were_ours(apps, schema_editor):
    """Statuses stored before numbers were told apart were all applied as the configured number's."""
    StatusUpdate = apps.get_model("whatsapp", "StatusUpdate")
    StatusUpdate.objects.filter(phone_number_id="").update(phone_number_id=settings.WHATSAPP_PHONE_NUMBER_ID)


class Migration(migrations.Migration):

    dependencies = [
        ('whatsapp', '0006_one_conversation_per_id'),
    ]

    operations = [
        migrations.AddField(
            model_name='statusupdate',
            name='phone_number_id',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(statuses_were_ours, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='message',
            name='status',
            field=models.CharField(choices=[('received', 'Received, not answered yet'), ('handled', 'Handled'), ('ignored', 'Ignored (sender not allowed)'), ('other_number', 'Not answered (sent to another business number)'), ('queued', 'Queued'), ('held', 'Held until the person writes'), ('sent', 'Sent'), ('delivered', 'Delivered'), ('read', 'Read'), ('played', 'Played'), ('failed', 'Failed')], max_length=16),
        ),
        migrations.AlterField(
            model_name='statusupdate',
            name='recipient_id',
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AlterField(
            model_name='webhookevent',
            name='status',
            field=models.CharField(choices=[('processed', 'Processed'), ('rejected', 'Rejected (not a WhatsApp webhook)'), ('not_stored', 'Kept raw, not stored (replay after a fix)')], default='processed', max_length=16),
        ),
        migrations.AddIndex(
            model_name='webhookevent',
            index=models.Index(condition=models.Q(('status', 'not_stored')), fields=['received_at'],
                               name='webhook_not_stored'),
        ),
    ]
