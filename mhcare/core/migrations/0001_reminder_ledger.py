"""The reminder ledger of the kernel's reminder engine. Existing rows come from
``crisis.0004_reminder_ledger_to_core``, which copies them here."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReminderSent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=40)),
                ('object_type', models.CharField(max_length=40)),
                ('object_id', models.BigIntegerField()),
                ('due_on', models.DateField()),
                ('stage', models.PositiveSmallIntegerField(default=0)),
                ('sent_at', models.DateTimeField(auto_now_add=True)),
                ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'reminder sent',
                'verbose_name_plural': 'reminders sent',
                'constraints': [models.UniqueConstraint(fields=('kind', 'object_type', 'object_id', 'due_on', 'recipient', 'stage'), name='core_reminder_once')],
            },
        ),
    ]
