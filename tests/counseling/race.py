"""Two transactions racing for the same time: the first inserts and holds its transaction open,
the second inserts while the first is still open and must wait for it (an exclusion constraint
check blocks on the other's uncommitted row), then fails when the first commits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from django.db import connection, transaction


def race(first: Callable[[], Any], second: Callable[[], Any]) -> dict[str, Any]:
    """Run ``first`` in a transaction kept open until ``second`` (another thread, another
    connection) is seen waiting on it; return each one's result or exception, and whether the
    second was blocked."""
    inserted, release = threading.Event(), threading.Event()
    results: dict[str, Any] = {}

    def run_first() -> None:
        try:
            with transaction.atomic():
                results["first"] = first()
                inserted.set()
                release.wait(15)
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results["first"] = exc
            inserted.set()
        finally:
            connection.close()

    def run_second() -> None:
        inserted.wait(15)
        try:
            results["second"] = second()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results["second"] = exc
        finally:
            connection.close()

    one, two = threading.Thread(target=run_first), threading.Thread(target=run_second)
    one.start()
    two.start()
    inserted.wait(15)
    time.sleep(0.8)
    results["second_was_waiting"] = two.is_alive()
    release.set()
    one.join(20)
    two.join(20)
    return results


def barrier_race(*calls: Callable[[], Any]) -> list[Any]:
    """Start every call at the same instant, each in its own thread and connection."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait(10)
        try:
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results
