# The crisis rules' tests read their reminders in English, as the engine's tests do: one fixture.
from tests.core.reminders.conftest import english_recipients  # noqa: F401
