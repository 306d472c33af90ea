"""Rows for the 上报 and reminder tests (the crisis factories belong to the case services'
tests), and a real HTTP server on loopback that plays the provincial platform."""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from django.utils import timezone

from crisis.models import Case, CaseReport, CaseSource, CaseStatus

REPORT_WITHIN = datetime.timedelta(hours=24)


def make_case(
    student: Any,
    *,
    level: str = "1",
    responsible: Any = None,
    next_follow_up_due: datetime.date | None = None,
    status: str = CaseStatus.OPEN,
    confirmed_at: datetime.datetime | None = None,
    version: int = 1,
) -> Case:
    return Case.objects.create(
        student=student,
        school_id=student.school_id,
        county_id=student.county_id,
        level=level,
        status=status,
        source=CaseSource.SCREENING,
        responsible=responsible,
        opened_on=timezone.localdate(),
        open_reason="PHQ-9 第9题阳性，学生自述有轻生念头",
        closed_on=timezone.localdate() if status == CaseStatus.CLOSED else None,
        level_confirmed_at=confirmed_at or timezone.now(),
        next_follow_up_due=next_follow_up_due,
        version=version,
    )


def payload_for(case: Case) -> dict[str, Any]:
    student = case.student
    return {
        "schema": "mhcare.case-report/1",
        "case_id": case.pk,
        "version": case.version,
        "level": case.level,
        "status": case.status,
        "source": case.source,
        "confirmed_at": case.level_confirmed_at.astimezone(datetime.UTC).isoformat(),
        "student": {
            "student_number": student.student_number,
            "name": student.name,
            "gender": student.gender,
            "birth_date": student.birth_date.isoformat(),
        },
        "school": {"code": case.school.code, "name": case.school.name},
        "county": {"code": case.county.code, "name": case.county.name},
        "responsible": case.responsible.username if case.responsible else None,
    }


def make_report(
    case: Case, *, due_by: datetime.datetime | None = None, **fields: Any
) -> CaseReport:
    """An outbox row as the case services write it: pending, due now, payload built."""
    values: dict[str, Any] = {
        "case": case,
        "school_id": case.school_id,
        "county_id": case.county_id,
        "version": case.version,
        "level": case.level,
        "payload": payload_for(case),
        "due_by": due_by or case.level_confirmed_at + REPORT_WITHIN,
        "next_attempt_at": timezone.now(),
    }
    values.update(fields)
    return CaseReport.objects.create(**values)


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Platform:
    """The provincial platform on 127.0.0.1 (a random port): answers each POST with the next of
    ``answers`` (status, JSON), the last one repeating, and keeps what it received."""

    answers: list[tuple[int, Any]] = field(default_factory=lambda: [(200, {"receipt": "R-1"})])
    received: list[Received] = field(default_factory=list)
    url: str = ""

    def answer(self) -> tuple[int, Any]:
        index = min(len(self.received) - 1, len(self.answers) - 1)
        return self.answers[index]


@contextmanager
def platform_server(answers: list[tuple[int, Any]] | None = None) -> Iterator[Platform]:
    platform = Platform(answers=answers) if answers else Platform()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook name
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            with lock:
                platform.received.append(
                    Received(self.path, dict(self.headers.items()), json.loads(raw))
                )
                status, body = platform.answer()
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    platform.url = f"http://127.0.0.1:{server.server_address[1]}/api/crisis-reports"
    try:
        yield platform
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
