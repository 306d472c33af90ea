"""The Content-Security-Policy: every response carries it, and no template holds what it would
block (an inline script or an inline event handler) — a page that needed one would break."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


@pytest.mark.django_db
def test_every_page_sends_a_policy_without_inline_script(client, world):
    for response in (
        client.get(reverse("accounts:login")),
        client.get("/no-such-page/"),
    ):
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        assert "frame-ancestors 'none'" in policy


@pytest.mark.django_db
def test_the_api_docs_need_no_inline_script(client, world):
    client.force_login(world.users["psych_a"])
    html = client.get(reverse("api-docs")).content.decode()
    assert not INLINE_SCRIPT.search(html)


def test_no_template_has_an_inline_script_or_handler():
    found = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)[:80]}"
        for path in TEMPLATES.rglob("*.html")
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER)
        for match in pattern.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not found, "move these to a static .js file (the CSP blocks them):\n" + "\n".join(found)
