"""The ordinary e-mails' hourly sweep reads the notifications still to e-mail through a partial
index of its own, built CONCURRENTLY like the urgent one (0004)."""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("notifications", "0004_urgent_unsent_index")]

    operations = [
        AddIndexConcurrently(
            model_name="notification",
            index=models.Index(
                condition=models.Q(
                    ("email_deferred", False),
                    ("emailed_at__isnull", True),
                    ("send_email", True),
                    ("urgent", False),
                ),
                fields=["created_at"],
                name="notification_unsent",
            ),
        ),
    ]
