# The lesson tests' users (a two-role teacher) serve the activity tests too.
from tests.staffing.lessons.conftest import two_roles  # noqa: F401 - a fixture
