"""Where the product's own code is, for the tests that read it as source (the lints)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The repository's Django apps: the project package and each app beside it.
PACKAGES = (
    "mhcare",
    "screening",
    "crisis",
    "referrals",
    "counseling",
    "staffing",
    "compliance",
    "province",
)
