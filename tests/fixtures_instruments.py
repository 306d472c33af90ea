"""Instruments are loaded by a data migration; a transactional test anywhere in the suite (the
browser and real-worker tests) flushes every table afterwards, taking those rows with it. This
autouse fixture (wired in ``tests/conftest.py``) puts them back, idempotently, before any test that
uses the database."""

import pytest

from screening.loader import SHIPPED_FILES, load_instruments
from screening.models import Instrument

SHIPPED = list(SHIPPED_FILES)


@pytest.fixture(autouse=True)
def shipped_instruments(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or (
        "transactional_db" in request.fixturenames
    )
    if transactional:
        request.getfixturevalue("transactional_db")
    elif marker is not None or "db" in request.fixturenames:
        request.getfixturevalue("db")
    else:
        return
    load_instruments(Instrument, SHIPPED)
