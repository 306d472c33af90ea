# The students of a school / a class in id order (the lists' keyset), each from its own index; the
# single-column indexes of school, county and class and the (school, class) one go: each column now
# leads a composite index. Built and dropped concurrently: orgs_student holds a province's students,
# and a plain CREATE / DROP INDEX would block roster writes (and the lists) meanwhile. The new
# indexes are built before the old ones are dropped, so no list is left without one.

import django.db.models.deletion
from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import migrations, models

# Django's names of the foreign keys' own indexes (``_create_index_name`` of table and column).
FOREIGN_KEY_INDEXES = {
    "county": "orgs_student_county_id_c107d779",
    "klass": "orgs_student_klass_id_f2defdaa",
    "school": "orgs_student_school_id_4d7aa93c",
}


def _drop_foreign_key_index(
    field: str, to: str, **options: object
) -> migrations.operations.base.Operation:
    name = FOREIGN_KEY_INDEXES[field]
    return migrations.SeparateDatabaseAndState(
        state_operations=[
            migrations.AlterField(
                model_name="student",
                name=field,
                field=models.ForeignKey(
                    db_index=False,
                    on_delete=django.db.models.deletion.PROTECT,
                    to=to,
                    **options,
                ),
            )
        ],
        database_operations=[
            migrations.RunSQL(
                f'DROP INDEX CONCURRENTLY IF EXISTS "{name}"',
                reverse_sql=f'CREATE INDEX CONCURRENTLY IF NOT EXISTS "{name}" '
                f'ON "orgs_student" ("{field}_id")',
            )
        ],
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("orgs", "0008_lists_student_flagged_index"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="student",
            index=models.Index(fields=["school", "id"], name="student_school_id"),
        ),
        AddIndexConcurrently(
            model_name="student",
            index=models.Index(fields=["klass", "id"], name="student_klass_id"),
        ),
        RemoveIndexConcurrently(
            model_name="student",
            name="orgs_studen_school__4327c8_idx",
        ),
        _drop_foreign_key_index("county", "orgs.orgunit", related_name="+"),
        _drop_foreign_key_index(
            "klass", "orgs.schoolclass", related_name="students", verbose_name="class"
        ),
        _drop_foreign_key_index("school", "orgs.orgunit", related_name="students"),
    ]
