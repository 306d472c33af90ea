"""The demo seeders (written through the services, deterministic, idempotent, with gaps on
purpose) and the provision page's partial."""

import datetime
import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from mhcare.core import registry
from staffing.activities.demo import seed_activities_demo
from staffing.lessons import selectors
from staffing.lessons.demo import seed_lessons_demo
from staffing.models import EducationActivity, Lesson
from tests.staffing.lessons.conftest import NOV, OCT, log

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 12, 1)


def test_the_seeders_are_registered_after_the_kernels():
    seeders = registry.demo_seeders()
    assert seed_lessons_demo in seeders
    assert seed_activities_demo in seeders


def test_demo_lessons_have_gaps_and_a_second_run_changes_nothing(world):
    from mhcare.orgs.demo import seed

    seed(scale=0.05)
    out = io.StringIO()
    seed_lessons_demo(stdout=out, today=TODAY)
    seed_activities_demo(stdout=out, today=TODAY)
    lessons, activities = Lesson.objects.count(), EducationActivity.objects.count()
    assert lessons > 0
    assert activities == 3 + 3 + 2  # 西湖区: education and family; 柯城区: education only
    seed_lessons_demo(stdout=out, today=TODAY)
    seed_activities_demo(stdout=out, today=TODAY)
    assert (Lesson.objects.count(), EducationActivity.objects.count()) == (lessons, activities)
    # several classes per entry, and classes below the rule in October and missing in November
    assert Lesson.objects.values("batch").distinct().count() < lessons
    xihu_school = Lesson.objects.filter(county__code="330106").first().school
    summary = selectors.school_lesson_summary(xihu_school, [OCT, NOV])
    october, november = summary.months
    assert 0 < october.met < october.classes
    assert 0 < november.met < november.classes


def test_the_provision_partial_renders_the_summary(world):
    log(world, [world.class_a], day=datetime.date(2026, 10, 9), hours="2")
    summary = selectors.school_lesson_summary(world.school_a, [OCT, NOV])
    html = render_to_string("staffing/lessons/_school_summary.html", {"summary": summary})
    assert 'data-testid="lesson-summary"' in html
    assert "1 / 2" in html
    assert "0 / 2" in html
    assert reverse("lessons:school", args=[world.school_a.pk]) in html
