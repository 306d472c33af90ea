"""One index fewer on the results table: the unique key ``result_once_per_campaign`` becomes
``(student_id, campaign_id, instrument_id)`` — was ``(campaign_id, student_id, instrument_id)
WHERE campaign_id IS NOT NULL`` — and so serves every lookup of a student's results, which had
an index of its own, ``(student_id, administered_on DESC)``, now dropped.

- Same rule: a result without a campaign has a NULL campaign, and NULLs are distinct in a unique
  key, so it never conflicts (it did not enter the partial index). Every ``ON CONFLICT
  (campaign_id, student_id, instrument_id) WHERE campaign_id IS NOT NULL`` infers the new key
  (PostgreSQL infers any unique index on those columns, in any order, that satisfies the
  predicate: a full one does).
- Why: each result written kept six indexes up to date; the import's ``INSERT`` of 250 000 rows
  took 1.37–1.71 s with five against 1.98–2.16 s with six (bench/README.md, session
  2026-12-07 (2)). The student's index was not append-only anyway (a student's new result goes
  beside their earlier ones), while the campaign-led key was; the new key costs what the
  student's index cost.

On a province's table: both indexes are built and dropped ``CONCURRENTLY`` (no lock that stops
imports and entries), and the uniqueness holds all along — the new unique index exists before
the old one is dropped; ``ADD CONSTRAINT … USING INDEX`` then only renames it and marks it a
constraint (a brief lock, no scan). Backwards re-creates the two old indexes the same way.
"""

from django.db import migrations, models

TABLE = "screening_screeningresult"
STUDENT_INDEX = "screening_s_student_9e5ec5_idx"


def drop_if_invalid(index: str) -> str:
    """Drop ``index`` if an interrupted ``CREATE INDEX CONCURRENTLY`` left it invalid (so that
    the migration can simply be run again); a valid one is kept. A plain DROP (a DO block is a
    transaction): an invalid index is never used, its drop only takes the lock for a moment."""
    return (
        "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "  # noqa: S608 - this migration's own index names
        f"WHERE c.relname = '{index}' AND NOT i.indisvalid) THEN DROP INDEX {index}; END IF; END $$"
    )


# (forward, backward) in the forward order; backwards runs them last to first, so the old
# unique index exists again (as result_once_per_campaign_old) before the constraint is dropped.
STEPS = [
    (
        [
            drop_if_invalid("result_once_per_campaign_new"),
            f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS result_once_per_campaign_new "
            f"ON {TABLE} (student_id, campaign_id, instrument_id)",
        ],
        "ALTER INDEX result_once_per_campaign_old RENAME TO result_once_per_campaign",
    ),
    (
        "DROP INDEX CONCURRENTLY IF EXISTS result_once_per_campaign",
        f"ALTER TABLE {TABLE} DROP CONSTRAINT IF EXISTS result_once_per_campaign",
    ),
    (
        f"ALTER TABLE {TABLE} ADD CONSTRAINT result_once_per_campaign "
        f"UNIQUE USING INDEX result_once_per_campaign_new",
        [
            drop_if_invalid("result_once_per_campaign_old"),
            f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS result_once_per_campaign_old "
            f"ON {TABLE} (campaign_id, student_id, instrument_id) WHERE campaign_id IS NOT NULL",
        ],
    ),
    (
        f"DROP INDEX CONCURRENTLY IF EXISTS {STUDENT_INDEX}",
        [
            drop_if_invalid(STUDENT_INDEX),
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {STUDENT_INDEX} "
            f"ON {TABLE} (student_id, administered_on DESC)",
        ],
    ),
]


class Migration(migrations.Migration):
    atomic = False  # CREATE / DROP INDEX CONCURRENTLY

    dependencies = [
        ("screening", "0013_result_scope_id_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(forward, backward) for forward, backward in STEPS
            ],
            state_operations=[
                migrations.RemoveIndex(model_name="screeningresult", name=STUDENT_INDEX),
                migrations.RemoveConstraint(
                    model_name="screeningresult", name="result_once_per_campaign"
                ),
                migrations.AddConstraint(
                    model_name="screeningresult",
                    constraint=models.UniqueConstraint(
                        fields=("student", "campaign", "instrument"),
                        name="result_once_per_campaign",
                    ),
                ),
            ],
        ),
    ]
