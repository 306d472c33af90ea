"""Who a message is for: ``{% load audience %}{% if user|is_platform_admin %}`` shows technical
details (setting names, server state) to platform administrators and superusers only; teachers
read plain words."""

from typing import Any

from django import template

from mhcare.accounts import scope

register = template.Library()


@register.filter
def is_platform_admin(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or scope.has_role(user, "platform_admin"))
