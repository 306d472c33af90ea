import pytest


@pytest.fixture(autouse=True)
def english_recipients(request):
    """Reminders are written in each recipient's language: the world's users read English here,
    like the rest of the unit tests."""
    if "world" in request.fixturenames and not request.node.get_closest_marker("zh"):
        from mhcare.accounts.models import User

        request.getfixturevalue("world")
        User.objects.update(language="en")
