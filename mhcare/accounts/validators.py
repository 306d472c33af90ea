import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CHARACTER_CLASSES = [r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]"]
PASSWORD_CLASSES_ERROR = "password_too_simple"  # noqa: S105 - an error code


class CharacterClassValidator:
    """At least three of: lower case, upper case, digits, symbols."""

    required = 3

    def validate(self, password: str, user: object = None) -> None:
        present = sum(1 for pattern in CHARACTER_CLASSES if re.search(pattern, password))
        if present < self.required:
            raise ValidationError(
                _(
                    "The password must contain at least three of: lower-case letters, upper-case "
                    "letters, digits and symbols."
                ),
                code=PASSWORD_CLASSES_ERROR,
            )

    def get_help_text(self) -> str:
        return _(
            "Your password must contain at least three of: lower-case letters, upper-case letters, "
            "digits and symbols."
        )


PASSWORD_REUSED_ERROR = "password_reused"  # noqa: S105 - an error code


class PasswordHistoryValidator:
    """Not one of the user's last ``PASSWORD_HISTORY_COUNT`` passwords (the current included)."""

    def validate(self, password: str, user: object = None) -> None:
        from django.conf import settings
        from django.contrib.auth.hashers import check_password

        if user is None or getattr(user, "pk", None) is None:
            return
        count = settings.PASSWORD_HISTORY_COUNT
        earlier = list(
            user.password_history.order_by("-created_at", "-id").values_list(  # type: ignore[attr-defined]
                "password", flat=True
            )[:count]
        )
        current = getattr(user, "password", "")
        if any(check_password(password, stored) for stored in [current, *earlier] if stored):
            raise ValidationError(
                _("This password was used recently: choose one not among your last %(count)s.")
                % {"count": count},
                code=PASSWORD_REUSED_ERROR,
            )

    def get_help_text(self) -> str:
        from django.conf import settings

        return _("It may not be one of your last %(count)s passwords.") % {
            "count": settings.PASSWORD_HISTORY_COUNT
        }
