# A school's / a county's results in id order (the results API's keyset pages) from their own
# indexes, in place of (school, administered_on) and (county, administered_on): same number of
# indexes for an import to keep up. Built before the old ones are dropped, concurrently: the
# results table holds a province's screening, and a plain CREATE / DROP INDEX would block the
# imports and entries meanwhile.

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("screening", "0012_critical_alert_outbox"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="screeningresult",
            index=models.Index(fields=["school", "id"], name="result_school_id"),
        ),
        AddIndexConcurrently(
            model_name="screeningresult",
            index=models.Index(fields=["county", "id"], name="result_county_id"),
        ),
        RemoveIndexConcurrently(
            model_name="screeningresult",
            name="screening_s_school__c20972_idx",
        ),
        RemoveIndexConcurrently(
            model_name="screeningresult",
            name="screening_s_county__04ccf7_idx",
        ),
    ]
