from tests.screening.imports.conftest import campaign, phq9  # noqa: F401
