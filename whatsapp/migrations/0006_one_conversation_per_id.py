from django.db import migrations, models


class Migration(migrations.Migration):
    """Apart from 0005, whose data step must commit first (PostgreSQL does not create an index on a
    table with changes still pending in the same transaction)."""

    dependencies = [
        ("whatsapp", "0005_person_ids"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='conversation',
            constraint=models.UniqueConstraint(condition=models.Q(('wa_id', ''), _negated=True), fields=('phone_number_id', 'wa_id'), name='conversation_per_wa_id'),
        ),
        migrations.AddConstraint(
            model_name='conversation',
            constraint=models.UniqueConstraint(condition=models.Q(('bsuid', ''), _negated=True), fields=('phone_number_id', 'bsuid'), name='conversation_per_bsuid'),
        ),
    ]
