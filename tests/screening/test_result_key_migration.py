"""Migration ``screening.0014``: the unique key of the results becomes ``(student, campaign,
instrument)`` and the student's own index goes; backwards, the old key and index come back. It can
be run again after an interrupted ``CREATE INDEX CONCURRENTLY`` (which leaves an invalid index of
the name it builds)."""

import pytest
from django.db import connection

from tests.migrating import migrate

BEFORE = [("screening", "0013_result_scope_id_indexes")]


def _indexes():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisvalid FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = 'screening_screeningresult'::regclass "
            "AND pg_get_indexdef(i.indexrelid) LIKE '%%student_id%%'"
        )
        return {name: (definition.split(" USING ")[1], valid) for name, definition, valid in cursor}


def _constraints():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'screening_screeningresult'::regclass AND contype = 'u'"
        )
        return dict(cursor.fetchall())


NEW = {"result_once_per_campaign": ("btree (student_id, campaign_id, instrument_id)", True)}
OLD = {
    "result_once_per_campaign": (
        "btree (campaign_id, student_id, instrument_id) WHERE (campaign_id IS NOT NULL)",
        True,
    ),
    "screening_s_student_9e5ec5_idx": ("btree (student_id, administered_on DESC)", True),
}


@pytest.mark.django_db(transaction=True)
def test_the_key_moves_to_the_student_and_back_and_survives_an_interrupted_build():
    assert _indexes() == NEW
    assert _constraints() == {
        "result_once_per_campaign": "UNIQUE (student_id, campaign_id, instrument_id)"
    }
    try:
        migrate(BEFORE)
        assert _indexes() == OLD
        assert _constraints() == {}

        # what a cancelled CREATE UNIQUE INDEX CONCURRENTLY leaves behind
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE UNIQUE INDEX result_once_per_campaign_new "
                "ON screening_screeningresult (student_id)"
            )
            cursor.execute(
                "UPDATE pg_index SET indisvalid = false "
                "WHERE indexrelid = 'result_once_per_campaign_new'::regclass"
            )
        assert _indexes()["result_once_per_campaign_new"] == ("btree (student_id)", False)

        migrate()
        assert _indexes() == NEW
        assert _constraints() == {
            "result_once_per_campaign": "UNIQUE (student_id, campaign_id, instrument_id)"
        }
    finally:
        migrate()
