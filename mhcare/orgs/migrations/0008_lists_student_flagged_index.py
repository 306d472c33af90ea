# Built concurrently: orgs_student holds a province's students, and a plain CREATE INDEX would
# block roster writes while it is built.

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orgs", "0007_class_opened_on"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="student",
            index=models.Index(
                condition=models.Q(
                    ("status", "enrolled"), models.Q(("disadvantages", []), _negated=True)
                ),
                fields=["county", "id"],
                name="student_flagged_county",
            ),
        ),
    ]
