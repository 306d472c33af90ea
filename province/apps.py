from django.apps import AppConfig


class ProvinceConfig(AppConfig):
    """The province-scale generator (``manage.py seed_province``): a package above every app, since
    it writes every app's tables; nothing imports it."""

    name = "province"
    verbose_name = "Province-scale generator"
