"""Where the product's own code is, for the tests that read it as source (the lints)."""

from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
# The top-level packages of the installed apps that live in this repository (``mhcare`` for the
# kernel apps, then each domain app; not the tests' own): a new app is read without touching this
# file.
PACKAGES = tuple(
    dict.fromkeys(
        app.split(".")[0]
        for app in settings.INSTALLED_APPS
        if (ROOT / app.split(".")[0] / "__init__.py").is_file()
        and app.split(".")[0] != Path(__file__).parent.name
    )
)
