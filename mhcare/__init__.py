"""mhcare — student mental-health management for a province's schools."""

from mhcare.celery import app as celery_app

__all__ = ("celery_app",)
