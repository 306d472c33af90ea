from tests.counseling.room_helpers import center_unit_a, psych_a2, two_roles  # noqa: F401
