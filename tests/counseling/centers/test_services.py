import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from counseling.centers import services
from counseling.centers.selectors import center_standardized
from counseling.models import CenterChecklistEntry, CenterJudgement
from mhcare.audit.models import Action, AuditEvent
from mhcare.notifications.models import Notification
from tests import factories
from tests.counseling.centers.conftest import fill

TODAY = timezone.localdate


def test_default_items_are_seeded(items):
    codes = {item.code for item in items}
    assert {"space", "staff", "hours", "hotline", "referral", "records"} <= codes


def test_the_center_fills_its_checklist_with_evidence(world, items, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("room.pdf", b"%PDF-1.4 demo", content_type="application/pdf")
    entry = services.center_entry_save(
        actor=world.users["center_a"],
        county=world.county_a,
        item=items[0],
        is_met=True,
        evidence="个体辅导室 2 间，团体辅导室 1 间",
        evidence_file=upload,
    )
    assert entry.evidence_file.name.endswith(".pdf")
    again = services.center_entry_save(
        actor=world.users["center_a"],
        county=world.county_a,
        item=items[0],
        is_met=False,
        evidence="",
    )
    assert again.pk == entry.pk
    assert again.evidence_file  # kept
    events = AuditEvent.objects.filter(object_type="counseling.centerchecklistentry")
    assert [e.action for e in events.order_by("id")] == [Action.CREATE, Action.UPDATE]
    assert events.order_by("id").last().detail["old"] == {"is_met": True, "evidence": True}


def test_met_needs_evidence_in_the_service_and_the_database(world, items):
    with pytest.raises(ValidationError) as exc:
        services.center_entry_save(
            actor=world.users["center_a"],
            county=world.county_a,
            item=items[0],
            is_met=True,
            evidence=" ",
        )
    assert exc.value.message_dict["evidence"] == [str(services.EVIDENCE_REQUIRED)]
    with pytest.raises(IntegrityError), transaction.atomic():
        CenterChecklistEntry.objects.create(
            county=world.county_a,
            item=items[0],
            is_met=True,
            evidence="",
            updated_by=world.users["center_a"],
        )


def test_a_file_of_another_kind_is_refused(world, items):
    with pytest.raises(ValidationError) as exc:
        services.center_entry_save(
            actor=world.users["center_a"],
            county=world.county_a,
            item=items[0],
            is_met=False,
            evidence="",
            evidence_file=SimpleUploadedFile("x.exe", b"MZ"),
        )
    assert exc.value.message_dict["evidence_file"] == [str(services.FILE_TYPE)]


@pytest.mark.parametrize("who", ["center_b", "official_a", "psych_a", "official_province"])
def test_only_the_own_county_center_fills(world, items, who):
    with pytest.raises(PermissionDenied):
        services.center_entry_save(
            actor=world.users[who], county=world.county_a, item=items[0], is_met=False, evidence=""
        )
    assert not CenterChecklistEntry.objects.exists()


def test_judgement_needs_every_required_item(
    world, items, official_city, django_capture_on_commit_callbacks
):
    fill(world, world.county_a, items, share=0.5)
    with pytest.raises(ValidationError) as exc:
        services.center_judge(
            actor=official_city, county=world.county_a, is_standardized=True, effective_on=TODAY()
        )
    assert "is_standardized" in exc.value.message_dict
    fill(world, world.county_a, items)
    with django_capture_on_commit_callbacks(execute=True):
        services.center_judge(
            actor=official_city, county=world.county_a, is_standardized=True, effective_on=TODAY()
        )
    assert Notification.objects.filter(recipient=world.users["center_a"]).exists()


@pytest.mark.parametrize("who", ["official_a", "center_a", "psych_a"])
def test_the_county_and_its_center_do_not_judge_themselves(world, items, who):
    fill(world, world.county_a, items)
    with pytest.raises(PermissionDenied):
        services.center_judge(
            actor=world.users[who],
            county=world.county_a,
            is_standardized=True,
            effective_on=TODAY(),
        )


def test_withdrawal_needs_a_reason_and_dates_cannot_be_future(world, items, official_city):
    with pytest.raises(ValidationError) as exc:
        services.center_judge(
            actor=official_city,
            county=world.county_a,
            is_standardized=False,
            effective_on=TODAY() + datetime.timedelta(days=1),
        )
    assert set(exc.value.message_dict) == {"reason", "effective_on"}


def test_center_standardized_on_dates(world, items, official_city):
    """A standardized from day -30, withdrawn on day -5; B never. The city has two counties."""
    fill(world, world.county_a, items)
    day = TODAY()
    services.center_judge(
        actor=official_city,
        county=world.county_a,
        is_standardized=True,
        effective_on=day - datetime.timedelta(days=30),
    )
    services.center_judge(
        actor=official_city,
        county=world.county_a,
        is_standardized=False,
        effective_on=day - datetime.timedelta(days=5),
        reason="专职人员调离",
    )
    before = center_standardized(world.city, day - datetime.timedelta(days=31))
    assert (before.standardized, before.total) == (0, 2)
    on = center_standardized(world.city, day - datetime.timedelta(days=10))
    assert (on.standardized, on.total, on.percent) == (1, 2, 50)
    now = center_standardized(world.city, day)
    assert (now.standardized, now.total) == (0, 2)
    county = center_standardized(world.county_a, day - datetime.timedelta(days=10))
    assert (county.standardized, county.total) == (1, 1)
    # a school has no county below it
    assert center_standardized(world.school_a, day).total == 0
    assert CenterJudgement.objects.count() == 2


def test_center_standardized_is_one_query(world, django_assert_num_queries):
    for n in range(5):
        factories.CountyFactory(parent=world.city, code=f"33019{n}")
    with django_assert_num_queries(1):
        value = center_standardized(world.province, TODAY())
    assert value.total == 7
