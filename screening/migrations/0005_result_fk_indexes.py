"""Drop the single-column indexes Django makes for the ScreeningResult foreign keys whose column
already leads a composite index or the unique constraint:

- ``student_id``: ``(student_id, administered_on DESC)``
- ``school_id``: ``(school_id, administered_on)``
- ``county_id``: ``(county_id, administered_on)``
- ``campaign_id``: ``(campaign_id, school_id)`` and ``result_once_per_campaign``

Every lookup by one of these columns (scope filters, PROTECT checks on delete) uses the composite
index instead. Four indexes fewer to keep up on every result written (the results import at 1 M
rows: see ``bench/README.md``).

Only the indexes are dropped: Django's own ``AlterField`` would also drop and re-add each foreign
key, and re-adding validates the whole results table under a lock.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = {
    "campaign_id": "screening_screeningresult_campaign_id_2bed6c8f",
    "county_id": "screening_screeningresult_county_id_eacac11d",
    "school_id": "screening_screeningresult_school_id_3c6fb37b",
    "student_id": "screening_screeningresult_student_id_d6cdcddf",
}


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0001_initial"),
        ("screening", "0004_load_instruments"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    sql=f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=(
                        f'CREATE INDEX IF NOT EXISTS "{name}" '
                        f'ON "screening_screeningresult" ("{column}")'
                    ),
                )
                for column, name in INDEXES.items()
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="screeningresult",
                    name="campaign",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="results",
                        to="screening.campaign",
                    ),
                ),
                migrations.AlterField(
                    model_name="screeningresult",
                    name="county",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="orgs.orgunit",
                    ),
                ),
                migrations.AlterField(
                    model_name="screeningresult",
                    name="school",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="orgs.orgunit",
                    ),
                ),
                migrations.AlterField(
                    model_name="screeningresult",
                    name="student",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="screening_results",
                        to="orgs.student",
                    ),
                ),
            ],
        ),
    ]
