import pytest

from mhcare.accounts.models import Role
from tests import factories


@pytest.fixture
def subject_a(world):
    """A subject teacher of class A (八(1)班 of 西湖一中)."""
    return factories.user_with_role(
        Role.SUBJECT_TEACHER, world.school_a, klass=world.class_a, username="subject_a"
    )
