"""No page, API answer or spreadsheet shows a full national student number or phone number.

On the demo data (``seed_demo`` at a small scale: every app's demo seeder runs, so cases, reports,
screenings, referrals … exist), every demo user — one per role — follows every link of the site
from their home page (GET only, breadth first), and every list endpoint of the API is read. Each
HTML / JSON / text answer and each Excel workbook is searched for the student numbers and the
guardian and staff phone numbers in the database. The only places that show them in full are the
audited reveal pages (POST, never reached by following links) and the 上报 payload sent to the
provincial platform (not a page)."""

from __future__ import annotations

import io
import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from openpyxl import load_workbook

from mhcare.accounts.models import User
from mhcare.orgs.demo import user_specs
from mhcare.orgs.models import Guardian, Student

pytestmark = pytest.mark.django_db

# Pages a crawler must not follow: they end the session or change state on GET by design.
SKIPPED_PREFIXES = ("/accounts/logout/", "/static/", "/media/", "/i18n/", "/api/v1/docs/")
# Where a full number is needed and its showing audited, with the reason (besides the reveal
# pages, which are POST and never reached by a crawl).
ALLOWED = {
    "screening:import_template": "the pre-filled result template of a class or school: the "
    "number is the key the filled-in file is matched on when it is imported (an audited export)",
    "admin:accounts_user_change": "where the platform administrator keeps a staff member's phone "
    "up to date (each opening audited with the field)",
}
MAX_PAGES_PER_USER = 150
# Pages of one route (one student's page, one case's …) alike: a few of each are enough.
PER_ROUTE = 2
HREF = re.compile(r'href="([^"#]*)"')
# Candidates: a letter and digits (student numbers, e.g. G330106201205010001) or long digit runs
# (phone numbers); each is then looked up among the real values.
CANDIDATE = re.compile(r"[A-Za-z]?\d{7,}")


def _texts(response) -> list[str]:
    kind = response.get("Content-Type", "")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(body), read_only=True)
        return [
            " ".join("" if cell is None else str(cell) for cell in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        ]
    if kind.startswith(("text/", "application/json")):
        return [body.decode("utf-8", "replace")]
    return []  # PDFs and images: rendered from the same templates and data as the pages


def _leaks(texts: list[str], secrets: set[str]) -> set[str]:
    found = set()
    for text in texts:
        for candidate in CANDIDATE.findall(text):
            for value in (candidate, candidate[1:]):
                if value in secrets:
                    found.add(value)
    return found


def _list_api_paths() -> list[str]:
    """Every API route without a path parameter (the list endpoints)."""
    paths = []

    def walk(patterns, prefix):
        for pattern in patterns:
            route = str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + route)
            elif isinstance(pattern, URLPattern) and "<" not in route and "(?P" not in route:
                paths.append("/" + (prefix + route).lstrip("^").rstrip("$"))

    walk(get_resolver().url_patterns, "")
    return sorted(
        {p.replace("\\", "") for p in paths if p.startswith("/api/v1/") and "docs" not in p}
    )


def _crawl(client, start_paths: list[str]) -> dict[str, list[str]]:
    seen: set[str] = set()
    per_route: dict[str, int] = {}
    queue = deque(start_paths)
    answers: dict[str, list[str]] = {}
    while queue and len(seen) < MAX_PAGES_PER_USER:
        path = queue.popleft()
        if path in seen or path.startswith(SKIPPED_PREFIXES):
            continue
        try:
            route = resolve(urlsplit(path).path).route
        except Resolver404:
            continue
        if per_route.get(route, 0) >= PER_ROUTE:
            continue
        per_route[route] = per_route.get(route, 0) + 1
        seen.add(path)
        response = client.get(path)
        if response.status_code != 200:
            continue
        texts = _texts(response)
        answers[path] = texts
        if "text/html" in response.get("Content-Type", ""):
            for href in HREF.findall(texts[0]):
                href = urldefrag(href.replace("&amp;", "&"))[0]
                parts = urlsplit(href)
                if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                    continue
                if href not in seen:
                    queue.append(href)
    return answers


@pytest.mark.timeout(1200)
def test_no_page_api_or_export_shows_a_full_student_number_or_phone(client, settings):
    settings.TWO_FACTOR_ENFORCED = False
    call_command("seed_demo", scale=0.05, stdout=io.StringIO())
    # staff phones as the staff roster import stores them
    for n, user in enumerate(User.objects.order_by("pk")):
        User.objects.filter(pk=user.pk).update(phone=f"1860571{n:04d}")
    numbers = set(Student.objects.values_list("student_number", flat=True))
    phones = {g.phone for g in Guardian.objects.all()} | set(
        User.objects.exclude(phone="").values_list("phone", flat=True)
    )
    secrets = numbers | phones
    assert len(numbers) > 100
    assert len(phones) > 100
    assert User.objects.exclude(phone="").count() > 15
    api_paths = _list_api_paths()
    assert "/api/v1/students/" in api_paths

    leaks: dict[str, set[str]] = {}
    crawled = 0
    for spec in user_specs():
        user = User.objects.get(username=spec.username)
        client.force_login(user)
        answers = _crawl(client, ["/", *api_paths])
        crawled += len(answers)
        for path, texts in answers.items():
            if resolve(urlsplit(path).path).view_name in ALLOWED:
                continue
            found = _leaks(texts, secrets)
            if found:
                leaks[f"{spec.username} {path}"] = found
        client.logout()

    assert crawled > 200  # the crawl really reached the site
    assert not leaks, "\n".join(
        f"{where}: {sorted(found)}" for where, found in sorted(leaks.items())
    )
