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
    items: list[tuple[str, str]] = [(str(_("Home")), reverse("core:home"))]
    # A link shows exactly when its page's declaration admits the user (accounts/policy.py).
    for label, name in (
        (_("Students"), "orgs:student_list"),
        (_("High-risk list"), "crisis:highrisk_list"),
        (_("Reports"), "compliance:report_list"),  # a county or more
        (_("Roster import"), "orgs:roster_import"),
    ):
        if policy.may_open(user, name):
            items.append((str(label), reverse(name)))
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
