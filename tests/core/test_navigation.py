"""The header menu: each person sees the entries of what they may use, and nothing else."""

import pytest
from django.urls import reverse


def menu(client, user):
    client.force_login(user)
    return dict(client.get(reverse("core:home")).context["nav_items"])


@pytest.mark.parametrize(
    ("who", "present", "absent"),
    [
        ("psych_a", {"Results import", "Observations", "High-risk list"}, {"Report a concern"}),
        ("homeroom_a", {"Report a concern", "Students"}, {"Results import", "High-risk list"}),
        ("center_a", {"Results import", "High-risk list", "Reports"}, {"Observations"}),
        ("official_a", {"Reports"}, {"Students", "Results import", "High-risk list"}),
    ],
)
def test_menu_follows_the_role(client, world, who, present, absent):
    entries = menu(client, world.users[who])
    assert present <= set(entries)
    assert not absent & set(entries)


def test_every_menu_entry_opens(client, world):
    for who in ["psych_a", "homeroom_a", "center_a", "official_a", "leader_a"]:
        client.force_login(world.users[who])
        for label, url in menu(client, world.users[who]).items():
            assert client.get(url).status_code == 200, (who, label, url)
