"""Issue 14: the snapshot table is rewritten in place by every refresh (121 k rows for a province
of 10 000 schools). With half of each page left free, an update stays on its page and touches no
index (a HOT update): the bench province's upsert went from 12.7 s to 5.3 s. Pages written before
this keep no room until they are rewritten (``VACUUM FULL compliance_indicatorsnapshot`` once, or
over the next refreshes as rows move to new pages)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("compliance", "0004_refresh_pending")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE compliance_indicatorsnapshot SET (fillfactor = 50)",
            reverse_sql="ALTER TABLE compliance_indicatorsnapshot RESET (fillfactor)",
        )
    ]
