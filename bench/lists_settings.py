"""Settings of the list benches (bench/lists.py, bench/students_api_load.py): the local settings
with DEBUG off (no query log), a bench-only URLconf that adds a bare JSON view beside the real
URLs, and the second factor off (the bench users have no authenticator; the API's token auth
never passes through that check anyway). Never used outside bench/."""

from mhcare.settings.local import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.lists_urls"
TWO_FACTOR_ENFORCED = False
