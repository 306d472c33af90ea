"""What every page needs: the navigation for the user's roles and the unread inbox count."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from mhcare.accounts import scope
from mhcare.accounts.scope import RecordKind
from mhcare.core import registry


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items: list[tuple[str, str]] = [(str(_("Home")), reverse("core:home"))]
    if scope.can(user, RecordKind.STUDENT):
        items.append((str(_("Students")), reverse("orgs:student_list")))
    if scope.can(user, RecordKind.CASE):
        items.append((str(_("High-risk list")), reverse("crisis:highrisk_list")))
    # Compliance reports cover a county or more: only aggregate grants at county level and above.
    if any(
        g.unit_kind in {"county", "city", "province"}
        and RecordKind.AGGREGATE in scope.ROLE_KINDS.get(g.role, frozenset())
        for g in scope.grants(user)
    ):
        items.append((str(_("Reports")), reverse("compliance:report_list")))
    if (
        scope.has_role(user, "psych_teacher", "school_leader", "platform_admin")
        or user.is_superuser
    ):
        items.append((str(_("Roster import")), reverse("orgs:roster_import")))
    items.extend(
        (str(item.label), item.url)
        for item in sorted(registry.nav_for(user), key=lambda item: item.order)
    )
    if user.is_staff:
        items.append((str(_("Administration")), reverse("admin:index")))
    from mhcare.notifications.models import Notification

    unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {
        "nav_items": items,
        "nav_roles": scope.grants(user),
        "unread_count": unread,
    }
