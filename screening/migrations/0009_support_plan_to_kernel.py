"""The support plan moves to the kernel (``orgs.SupportPlan``, table orgs_supportplan): every row is
copied with its id (the encrypted columns as they are), the id counter moves on, then the old table
is dropped. Reversible: the old table is recreated and the rows copied back."""

from django.db import migrations

COLUMNS = "id, goals, measures, responsible, review_date, updated_at, school_id, student_id, updated_by_id"

FORWARD = f"""
LOCK TABLE screening_supportplan IN EXCLUSIVE MODE;
INSERT INTO orgs_supportplan ({COLUMNS}) SELECT {COLUMNS} FROM screening_supportplan;
SELECT setval(pg_get_serial_sequence('orgs_supportplan', 'id'),
              COALESCE((SELECT max(id) FROM orgs_supportplan), 0) + 1, false);
"""

BACKWARD = f"""
INSERT INTO screening_supportplan ({COLUMNS}) SELECT {COLUMNS} FROM orgs_supportplan;
SELECT setval(pg_get_serial_sequence('screening_supportplan', 'id'),
              COALESCE((SELECT max(id) FROM screening_supportplan), 0) + 1, false);
DELETE FROM orgs_supportplan;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("screening", "0008_encrypt_plan_responsible_and_import_errors"),
        ("orgs", "0003_support_plan_to_kernel"),
    ]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.DeleteModel(name="SupportPlan"),
    ]
