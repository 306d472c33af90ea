"""The schema of the imports' work tables (``screening.imports.services._shared_table``): the
resolved rows of a large import, which two connections read, so not a TEMP table. The app's role
gets CREATE on this schema only (``manage.py db_roles``), not on ``public``."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0015_import_job_critical_and_proposal_counts"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE SCHEMA IF NOT EXISTS import_work",
            "DROP SCHEMA IF EXISTS import_work CASCADE",
        ),
    ]
