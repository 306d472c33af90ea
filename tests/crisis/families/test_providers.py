"""Registrations proposed for ``CrisisConfig.ready()``: the header entry, the home panels and the
growth-file timeline events. The home page is checked with the providers registered for the test
only."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crisis.families import providers, services
from crisis.models import ContactWay, HomeVisit
from mhcare.core import registry
from mhcare.orgs.models import Disadvantage
from tests import factories


@pytest.fixture
def registered():
    added = []
    for hook, provider in [
        (registry._todo, providers.home_panels),
        (registry._nav, providers.nav_items),
        (registry._timeline, providers.timeline),
    ]:
        if provider not in hook:
            hook.append(provider)
            added.append((hook, provider))
    yield
    for hook, provider in added:
        hook.remove(provider)


def test_the_header_entry_is_for_homeroom_and_psych_teachers(world):
    # One class or one school: the entry goes straight there.
    for key, url in [
        ("homeroom_a", reverse("crisis:family_class", args=[world.class_a.pk])),
        ("psych_a", reverse("crisis:family_school", args=[world.school_a.pk])),
        ("leader_a", None),
        ("center_a", None),
        ("official_a", None),
        ("admin", None),
    ]:
        assert [item.url for item in providers.nav_items(world.users[key])] == (
            [url] if url else []
        ), key


def test_the_timeline_shows_each_contact_to_roles_with_family_records(world, semester):
    student = world.students["a"]
    services.family_contact_log(
        actor=world.users["homeroom_a"],
        student=student,
        contacted_on=timezone.localdate(),
        way=ContactWay.VIDEO,
        with_whom="母亲",
        topics="秘密",
    )
    for key in ["homeroom_a", "psych_a", "leader_a", "center_a"]:
        (event,) = providers.timeline(world.users[key], student)
        assert event.kind == "family_contact"
        assert "Video call" in event.title
        assert "秘密" not in event.title + event.detail  # topics stay on the audited page
    for key in ["official_a", "admin", "psych_b", "center_b"]:
        assert list(providers.timeline(world.users[key], student)) == [], key


def test_the_homeroom_panel_lists_families_missing_a_contact(world, semester):
    extra = factories.StudentFactory(klass=world.class_a, name="钱小二")
    services.family_contact_log(
        actor=world.users["homeroom_a"],
        student=world.students["a"],
        contacted_on=timezone.localdate(),
        way=ContactWay.PHONE,
        with_whom="母亲",
    )
    (panel,) = providers.home_panels(world.users["homeroom_a"])
    assert "1 / 2" in panel.title
    assert [row["label"] for row in panel.rows] == [extra.name]


def test_the_psych_panel_lists_home_visits_not_done(world, semester):
    factories.StudentFactory(
        klass=world.class_a, name="留守", disadvantages=[Disadvantage.LEFT_BEHIND]
    )
    today = timezone.localdate()
    period = services.key_period_create(
        actor=world.users["psych_a"],
        org_unit=world.school_a,
        semester=semester,
        name="开学前后",
        starts_on=today - datetime.timedelta(days=1),
        ends_on=today + datetime.timedelta(days=1),
    )
    (panel,) = providers.home_panels(world.users["psych_a"])
    assert panel.key == "home_visits_due"
    assert [row["label"] for row in panel.rows] == ["留守 · 八(1)班 · 开学前后"]
    line = HomeVisit.objects.get(key_period=period)
    services.home_visit_mark(
        actor=world.users["psych_a"], visit=line, visited_on=today, with_whom="祖母"
    )
    (panel,) = providers.home_panels(world.users["psych_a"])
    assert panel.rows == []
    assert providers.home_panels(world.users["psych_b"])[0].rows == []


def test_the_home_page_shows_the_panels_and_the_entry(client, world, semester, registered):
    client.force_login(world.users["homeroom_a"])
    response = client.get(reverse("core:home"))
    html = response.content.decode()
    assert f'data-panel="family_contacts_{world.class_a.pk}"' in html
    assert reverse("crisis:family_index") in html
