import pytest

from tests.crisis.reporting.helpers import platform_server


@pytest.fixture
def platform(settings):
    """A real HTTP server on loopback playing the provincial platform, set as the endpoint."""
    with platform_server() as server:
        settings.PROVINCIAL_REPORT_URL = server.url
        settings.PROVINCIAL_REPORT_TOKEN = "test-token"
        settings.PROVINCIAL_REPORT_TIMEOUT = 5
        settings.REPORT_RETRY_BASE_SECONDS = 60
        settings.REPORT_RETRY_MAX_SECONDS = 3600
        yield server


@pytest.fixture
def deliver_on_create():
    """The post_save hook that ``CrisisConfig.ready()`` connects via ``providers.register()``."""
    from crisis.reporting import providers

    # Connected for the rest of the session (as after ``ready()``): harmless, since without an
    # endpoint a delivery does nothing.
    providers.connect_signals()
