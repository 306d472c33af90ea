from django.apps import AppConfig


class FieldTestConfig(AppConfig):
    """A test-only app holding a model with an encrypted field (installed by ``settings.test``);
    it has no migrations, so its table is created directly in the test database."""

    name = "tests.fieldtest"
    label = "fieldtest"
    default_auto_field = "django.db.models.BigAutoField"
