"""The kernel's models live beside their engines; Django loads them from here."""

from mhcare.core.reminders.models import ReminderSent

__all__ = ["ReminderSent"]
