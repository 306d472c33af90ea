"""A school leader reads a proposal's level, never the item that raised it ("PHQ-9 item 9 > 0 …"):
on the student page, the high-risk list, the home panel and the growth PDF. The psychology
teacher and the county center (who see item answers) read the item."""

import subprocess

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from screening.growth.pdf import growth_context
from screening.models import Instrument
from screening.services import result_create

ITEM_TEXTS = ("item 9", "第 9 题", "self-harm", "自伤")
SUMMARY_TEXTS = ("Needs attention", "需关注")


@pytest.fixture
def item9(world):
    return result_create(
        actor=world.users["psych_a"],
        student=world.students["a"],
        instrument=Instrument.objects.latest_of("PHQ-9"),
        answers=[0] * 8 + [1],
        administered_on=timezone.localdate(),
    )


def _pages(client, world, username):
    client.force_login(world.users[username])
    student = world.students["a"]
    bodies = {
        "student page": client.get(reverse("orgs:student_detail", args=[student.pk])),
        "high-risk list": client.get(reverse("crisis:highrisk_list")),
        "home panel": client.get(reverse("core:home")),
    }
    texts = {}
    for name, response in bodies.items():
        assert response.status_code == 200, name
        texts[name] = response.content.decode()
    with translation.override("zh-hans"):
        texts["growth pdf"] = render_to_string(
            "screening/growth/pdf.html",
            growth_context(actor=world.users[username], student=student),
        )
    return texts


def test_a_leader_reads_the_level_never_the_item(client, world, item9):
    for name, text in _pages(client, world, "leader_a").items():
        assert world.students["a"].name in text, name
        for item_text in ITEM_TEXTS:
            assert item_text not in text, (name, item_text)
        assert any(summary in text for summary in SUMMARY_TEXTS), name
        # the level and the band of the result that raised it
        assert any(band in text for band in ("PHQ-9: Minimal", "PHQ-9：无或极轻微")), name


@pytest.mark.parametrize("username", ["psych_a", "center_a"])
def test_roles_that_see_items_read_the_item(client, world, item9, username):
    texts = _pages(client, world, username)
    for name in ("student page", "high-risk list", "growth pdf"):
        assert any(t in texts[name] for t in ("item 9", "第 9 题")), (username, name)


def test_the_leaders_growth_pdf_has_the_level_and_no_item(client, world, item9, tmp_path):
    client.force_login(world.users["leader_a"])
    response = client.get(reverse("screening:growth_pdf", args=[world.students["a"].pk]))
    assert response.status_code == 200
    pdf = tmp_path / "growth.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    compact = "".join(text.split())  # line breaks fall anywhere in a PDF's text
    assert "需关注" in compact or "Needsattention" in compact, compact
    assert "第9题" not in compact
    assert "item9" not in compact
    assert "自伤" not in compact
    assert "self-harm" not in compact
