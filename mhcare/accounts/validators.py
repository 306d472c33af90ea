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
