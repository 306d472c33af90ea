"""The urgent e-mails' sweep reads the few notifications still to e-mail through a partial index,
built CONCURRENTLY: the inbox table of a province has millions of rows and takes writes all day."""

from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("notifications", "0003_notification_detail_in_app_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="notification",
            index=models.Index(
                condition=models.Q(
                    ("email_deferred", False),
                    ("emailed_at__isnull", True),
                    ("send_email", True),
                    ("urgent", True),
                ),
                fields=["created_at"],
                name="notification_urgent_unsent",
            ),
        ),
    ]
