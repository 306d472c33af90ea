"""The single-student entry page of a score-level instrument (SDQ: only subscale scores are
entered): it shows one field per subscale, saves, and puts errors next to their field."""

import pytest
from django.urls import reverse
from django.utils import timezone

from screening.forms import SCORE_REQUIRED
from screening.models import Instrument, ScreeningResult
from tests.conftest import login

pytestmark = pytest.mark.django_db

SUBSCALES = ["emotional", "conduct", "hyperactivity", "peer", "prosocial"]


def entry_url(student, code="SDQ"):
    return reverse("screening:result_create", args=[student.pk, code])


def form_data(**scores):
    data = {f"score_{code}": str(value) for code, value in scores.items()}
    data["administered_on"] = timezone.localdate().isoformat()
    return data


@pytest.fixture
def english(world):
    world.users["psych_a"].language = "en"
    world.users["psych_a"].save(update_fields=["language"])


def test_the_page_shows_one_field_per_subscale(client, world, english):
    login(client, world.users["psych_a"])
    response = client.get(entry_url(world.students["a"]))
    assert response.status_code == 200
    body = response.content.decode()
    for code in SUBSCALES:
        assert f'name="score_{code}"' in body
    assert body.count('data-testid="score-field"') == len(SUBSCALES)
    assert "Emotional symptoms (0–10)" in body


def test_scores_are_saved_with_total_and_band(client, world, english):
    login(client, world.users["psych_a"])
    student = world.students["a"]
    response = client.post(
        entry_url(student),
        form_data(emotional=7, conduct=5, hyperactivity=6, peer=3, prosocial=8),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == reverse("orgs:student_detail", args=[student.pk])
    result = ScreeningResult.objects.get(
        student=student, instrument=Instrument.objects.latest_of("SDQ")
    )
    assert result.total == 21  # prosocial is not in the total difficulties
    assert result.band == "abnormal"
    assert result.answers == []


def test_a_missing_or_out_of_range_score_is_shown_next_to_its_field(client, world, english):
    login(client, world.users["psych_a"])
    response = client.post(
        entry_url(world.students["a"]),
        form_data(emotional=11, conduct=5, hyperactivity="", peer=3, prosocial=8),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["score_hyperactivity"] == [str(SCORE_REQUIRED)]
    assert not ScreeningResult.objects.exists()
    # the required score given, the range is checked by the service, next to the field
    response = client.post(
        entry_url(world.students["a"]),
        form_data(emotional=11, conduct=5, hyperactivity=2, peer=3, prosocial=8),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["score_emotional"]
    assert 'value="11"' in response.content.decode()  # nothing typed is lost
    assert not ScreeningResult.objects.exists()
