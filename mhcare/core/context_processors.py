"""What every page needs: the navigation for the user's roles and the unread inbox count."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mhcare.accounts import policy, scope
from mhcare.core import registry


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    entries: list[registry.NavItem] = []
    # A link shows exactly when its page's declaration admits the user (accounts/policy.py).
    for label, name, group in (
        (_("Students"), "orgs:student_list", "students"),
        (_("High-risk list"), "crisis:highrisk_list", "students"),
        (_("Reports"), "compliance:report_list", "oversight"),  # a county or more
        (_("Roster import"), "orgs:roster_import", "students"),
    ):
        if policy.may_open(user, name):
            entries.append(registry.NavItem(str(label), reverse(name), 0, group=group))
    entries.extend(sorted(registry.nav_for(user), key=lambda item: item.order))
    if user.is_staff:
        entries.append(
            registry.NavItem(str(_("Administration")), reverse("admin:index"), 999, "system")
        )
    from mhcare.notifications.models import Notification

    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    home = (str(_("Home")), reverse("core:home"))
    return {
        # Every entry, flat (label, url): what the menu offers.
        "nav_items": [home, *((str(item.label), item.url) for item in entries)],
        # The same entries as the header shows them: groups of one entry become a plain link.
        "nav_groups": _grouped(entries, request.path),
        "nav_roles": scope.grants(user),
        "unread_count": unread,
    }


def _grouped(entries: list[registry.NavItem], path: str) -> list[dict[str, Any]]:
    """The header menu: one heading per group with its entries, in ``NAV_GROUPS`` order, then
    the entries of no group; a group holding a single entry is that entry's own link."""
    by_group: dict[str, list[registry.NavItem]] = {}
    for item in entries:
        by_group.setdefault(item.group, []).append(item)
    menu: list[dict[str, Any]] = []
    for key, label in registry.NAV_GROUPS:
        items = by_group.pop(key, [])
        links = [{"label": str(i.label), "url": i.url, "current": path == i.url} for i in items]
        if len(links) == 1:
            menu.append({"key": key, **links[0]})
        elif links:
            current = any(link["current"] for link in links)
            menu.append({"key": key, "label": str(label), "links": links, "current": current})
    for items in by_group.values():
        menu.extend(
            {"key": "", "label": str(i.label), "url": i.url, "current": path == i.url}
            for i in items
        )
    return menu
