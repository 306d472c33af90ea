import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from counseling.centers import services
from counseling.models import CenterChecklistEntry, CenterJudgement
from tests.counseling.centers.conftest import fill

LIST = reverse("counseling:center_list")
API = "/api/v1/counseling/centers/checklists"


def page(county):
    return reverse("counseling:center_checklist", args=[county.pk])


def test_anonymous(client, world, items):
    for url in (LIST, page(world.county_a)):
        assert client.get(url).status_code == 302
    assert APIClient().get(f"{API}/").status_code in (401, 403)


@pytest.mark.parametrize(
    ("who", "status", "counties"),
    [
        ("center_a", 200, {"a"}),
        ("center_b", 200, {"b"}),
        ("official_a", 200, {"a"}),
        ("official_province", 200, {"a", "b"}),
        ("psych_a", 403, None),
        ("leader_a", 403, None),
        ("homeroom_a", 403, None),
        ("admin", 403, None),
    ],
)
def test_list_and_page_scope(client, world, items, who, status, counties):
    client.force_login(world.users[who])
    response = client.get(LIST)
    assert response.status_code == status
    if counties is None:
        assert client.get(page(world.county_a)).status_code == 403
        return
    body = response.content.decode()
    shown = {
        k
        for k, c in (("a", world.county_a), ("b", world.county_b))
        if f'data-county="{c.pk}"' in body
    }
    assert shown == counties
    for key, county in (("a", world.county_a), ("b", world.county_b)):
        assert client.get(page(county)).status_code == (200 if key in counties else 404)


def test_list_queries_bounded(client, world, items, official_city, django_assert_max_num_queries):
    fill(world, world.county_a, items)
    client.force_login(world.users["official_province"])
    with django_assert_max_num_queries(12):
        response = client.get(LIST)
    assert response.status_code == 200
    assert 'data-testid="center-indicator"' in response.content.decode()


def test_center_fills_through_the_page_and_others_cannot(client, world, items):
    item = items[0]
    url = reverse("counseling:center_entry_save", args=[world.county_a.pk, item.code])
    client.force_login(world.users["center_a"])
    bad = client.post(url, {"is_met": "on", "evidence": ""})
    assert bad.status_code == 400
    assert str(services.EVIDENCE_REQUIRED) in bad.content.decode()
    ok = client.post(url, {"is_met": "on", "evidence": "两间辅导室"})
    assert ok.status_code == 302
    assert CenterChecklistEntry.objects.get().is_met
    client.force_login(world.users["center_b"])
    assert client.post(url, {"evidence": "x"}).status_code == 404
    client.force_login(world.users["official_a"])
    assert client.post(url, {"evidence": "x"}).status_code == 403
    assert CenterChecklistEntry.objects.count() == 1


def test_city_official_judges_through_the_page(client, world, items, official_city):
    fill(world, world.county_a, items)
    url = reverse("counseling:center_judge", args=[world.county_a.pk])
    client.force_login(official_city)
    assert 'data-testid="judge-form"' in client.get(page(world.county_a)).content.decode()
    response = client.post(
        url, {"is_standardized": "1", "effective_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 302
    assert CenterJudgement.objects.get().judged_by == official_city
    client.force_login(world.users["official_a"])
    assert 'data-testid="judge-form"' not in client.get(page(world.county_a)).content.decode()
    assert client.post(url, {"is_standardized": "0", "reason": "x"}).status_code == 403


def test_center_panel_on_home(client, world, items):
    client.force_login(world.users["center_a"])
    assert 'data-panel="center_standardization"' in client.get("/").content.decode()


def test_apis(world, items, official_city):
    api = APIClient()
    api.force_authenticate(world.users["center_a"])
    listed = api.get(f"{API}/")
    assert [row["id"] for row in listed.data] == [world.county_a.pk]
    assert api.get(f"{API}/{world.county_b.pk}/").status_code == 404
    item = items[0]
    put = api.post(
        f"{API}/{world.county_a.pk}/items/{item.code}/",
        {"is_met": True, "evidence": "台账"},
        format="json",
    )
    assert put.status_code == 200
    assert (
        api.post(
            f"{API}/{world.county_a.pk}/items/{item.code}/",
            {"is_met": True, "evidence": ""},
            format="json",
        ).status_code
        == 400
    )
    detail = api.get(f"{API}/{world.county_a.pk}/").data
    assert [row["is_met"] for row in detail if row["code"] == item.code] == [True]
    api.force_authenticate(world.users["center_b"])
    assert (
        api.post(
            f"{API}/{world.county_a.pk}/items/{item.code}/",
            {"is_met": False, "evidence": ""},
            format="json",
        ).status_code
        == 404
    )
    api.force_authenticate(official_city)
    judged = api.post(
        f"{API}/{world.county_a.pk}/judgements/",
        {"is_standardized": True, "effective_on": timezone.localdate().isoformat()},
        format="json",
    )
    assert judged.status_code == 400  # not every required item met
    fill(world, world.county_a, items)
    judged = api.post(
        f"{API}/{world.county_a.pk}/judgements/",
        {"is_standardized": True, "effective_on": timezone.localdate().isoformat()},
        format="json",
    )
    assert judged.status_code == 201
    api.force_authenticate(world.users["official_a"])
    assert api.post(f"{API}/{world.county_a.pk}/judgements/", {}, format="json").status_code == 403
