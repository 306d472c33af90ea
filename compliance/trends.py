"""Trend analysis for the bureaus (notice §15), de-identified: year over year and month by month,
per county under the official's unit — new high-risk cases (一级/二级 opened), extreme incidents
by kind — and screening bands by grade and sex for the whole unit.

No cell smaller than ``COMPLIANCE_MIN_CELL`` (default 5) is shown: it reads "<5" (zero included,
so a blank neither confirms nor rules out a child). Where a row of a month-by-month table has
exactly one hidden cell, the smallest shown cell of that row is hidden too, so that the year total
(shown in the year-over-year table) cannot reveal the hidden one by subtraction. No total of
hidden cells is shown anywhere else. Each measure is one grouped statement over the unit's
subtree; nothing here reads a student's identity.

Readings: a month is a calendar month in Asia/Shanghai; a screening result counts in the year of
its ``administered_on`` at the grade of the student's current class.

The band tables read per-county counts (``TrendBandCount``) kept by ``band_counts_refresh`` —
after every entry or import (the minute sweep of ``compliance.refresh``) and nightly — instead of
grouping every result of the unit live (a join of millions of results to their students and
classes for the province); the page says as of when. The case and incident tables are small
grouped statements on indexed columns and stay live."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, Sum
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from compliance.models import TrendBandCount
from crisis.models import Case, Incident
from crisis.models.incidents import IncidentKind
from mhcare.core.risk import RiskLevel
from mhcare.orgs.models import Gender, OrgKind, OrgUnit
from screening.models import ScreeningResult

HIGH_RISK = (RiskLevel.LEVEL_1, RiskLevel.LEVEL_2)
MONTHS = list(range(1, 13))
BandKey = tuple[str, int, int, str, str]  # (instrument code, year, grade, sex, band)


def min_cell() -> int:
    return int(settings.COMPLIANCE_MIN_CELL)


@dataclass(frozen=True)
class Cell:
    count: int
    hidden: bool

    def __str__(self) -> str:
        return f"<{min_cell()}" if self.hidden else str(self.count)


def cell(count: int) -> Cell:
    return Cell(count, count < min_cell())


def protect_row(cells: list[Cell]) -> list[Cell]:
    """Complementary suppression: a row with exactly one hidden cell hides its smallest shown
    cell too."""
    hidden = [c for c in cells if c.hidden]
    shown = [i for i, c in enumerate(cells) if not c.hidden]
    if len(hidden) == 1 and shown:
        smallest = min(shown, key=lambda i: cells[i].count)
        cells = list(cells)
        cells[smallest] = Cell(cells[smallest].count, True)
    return cells


@dataclass
class Table:
    title: Any
    columns: list[Any]
    rows: list[tuple[str, list[Cell]]]
    row_keys: list[Any] = field(default_factory=list)  # what each row's label stands for
    column_keys: list[Any] = field(default_factory=list)  # what each column's label stands for


def counties_of(unit: OrgUnit) -> list[OrgUnit]:
    if unit.kind == OrgKind.COUNTY:
        return [unit]
    return list(
        OrgUnit.objects.filter(
            kind=OrgKind.COUNTY, path__startswith=unit.path, is_active=True
        ).order_by("path")
    )


def _monthly(qs: Any, date_field: str, year: int, extra: str | None = None) -> dict:
    """{(county_id, [extra,] year, month): count} for ``year`` and the year before."""
    fields = ["county_id", *([extra] if extra else []), "y", "m"]
    rows = (
        qs.filter(**{f"{date_field}__year__gte": year - 1, f"{date_field}__year__lte": year})
        .annotate(y=ExtractYear(date_field), m=ExtractMonth(date_field))
        .order_by()
        .values(*fields)
        .annotate(n=Count("id"))
    )
    return {tuple(r[f] for f in fields): r["n"] for r in rows}


def month_table(title: Any, counties: list[OrgUnit], counts: dict, year: int) -> Table:
    rows = []
    for county in counties:
        cells = [cell(counts.get((county.pk, year, m), 0)) for m in MONTHS]
        rows.append((county.name, protect_row(cells)))
    return Table(title=title, columns=[f"{m}月" for m in MONTHS], rows=rows)


def yoy_table(title: Any, counties: list[OrgUnit], counts: dict, year: int) -> Table:
    totals: dict[tuple[int, int], int] = {}  # (county id, year) -> count, in one pass
    for key, n in counts.items():
        totals[(key[0], key[-2])] = totals.get((key[0], key[-2]), 0) + n
    rows = []
    for county in counties:
        this, last = totals.get((county.pk, year), 0), totals.get((county.pk, year - 1), 0)
        rows.append((county.name, [cell(last), cell(this)]))
    return Table(title=title, columns=[str(year - 1), str(year)], rows=rows)


@dataclass
class Trends:
    unit: OrgUnit
    year: int
    tables: list[Table]
    band_tables: list[Table]
    bands_as_of: datetime.datetime | None = None
    band_keys: list[tuple[str, int]] = field(default_factory=list)  # (instrument, year) a table

    def band_counts(self) -> dict[BandKey, int]:
        """The band tables' counts by (instrument, year, grade, sex, band), zeros left out: what
        ``band_counts_live`` gives for the unit's results of the two years."""
        shown: dict[BandKey, int] = {}
        for (code, year), table in zip(self.band_keys, self.band_tables, strict=True):
            for (grade, sex), (_label, cells) in zip(table.row_keys, table.rows, strict=True):
                for band, c in zip(table.column_keys, cells, strict=True):
                    if c.count:
                        shown[(code, year, grade, sex, band)] = c.count
        return shown


def trends(*, unit: OrgUnit, year: int) -> Trends:
    """The trend tables of ``unit`` (a county, city or province the caller may see) for calendar
    ``year`` against ``year - 1``."""
    counties = counties_of(unit)
    county_ids = [c.pk for c in counties]
    cases = _monthly(
        Case.objects.filter(county_id__in=county_ids, level__in=HIGH_RISK), "opened_on", year
    )
    tables = [
        yoy_table(_("New high-risk cases (levels 1–2), year over year"), counties, cases, year),
        month_table(_("New high-risk cases (levels 1–2), month by month"), counties, cases, year),
    ]
    incidents = _monthly(
        Incident.objects.filter(county_id__in=county_ids), "occurred_at", year, extra="kind"
    )
    for kind, label in IncidentKind.choices:
        counts = {(k[0], k[2], k[3]): n for k, n in incidents.items() if k[1] == kind}
        tables.append(
            yoy_table(
                _("Incidents: %(kind)s, year over year") % {"kind": label}, counties, counts, year
            )
        )
    # screening bands by grade and sex for the whole unit, this year and last (from the counts)
    stored = TrendBandCount.objects.filter(county_id__in=county_ids, year__in=(year - 1, year))
    rows = (
        stored.order_by()
        .values("instrument_code", "year", "grade", "gender", "band")
        .annotate(n=Sum("count"))
    )
    by_instrument: dict[str, dict] = {}
    for r in rows:
        key = (r["year"], r["grade"], r["gender"], r["band"])
        by_instrument.setdefault(r["instrument_code"], {})[key] = r["n"]
    as_of = stored.aggregate(as_of=Min("computed_at"))["as_of"] if by_instrument else None
    band_tables = []
    band_keys = []
    sexes = dict(Gender.choices)
    for code, bcounts in sorted(by_instrument.items()):
        bands, labels = _bands_in_order(code, {k[3] for k in bcounts})
        lines = sorted({(k[1], k[2]) for k in bcounts})
        for y in (year, year - 1):
            table_rows = [
                (
                    f"{grade} · {sexes.get(sex, sex)}",
                    [cell(bcounts.get((y, grade, sex, band), 0)) for band in bands],
                )
                for grade, sex in lines
            ]
            band_tables.append(
                Table(
                    title=_("Screening bands of %(instrument)s by grade and sex, %(year)s")
                    % {"instrument": code, "year": y},
                    columns=labels,
                    rows=table_rows,
                    row_keys=lines,
                    column_keys=bands,
                )
            )
            band_keys.append((code, y))
    return Trends(
        unit=unit,
        year=year,
        tables=tables,
        band_tables=band_tables,
        bands_as_of=as_of,
        band_keys=band_keys,
    )


def _bands_in_order(code: str, present: set[str]) -> tuple[list[str], list[str]]:
    """The bands of instrument ``code`` found in the counts, in the order of its current
    definition (mild before severe), with their labels in the reader's language; a band no longer
    in the definition comes last, under its code."""
    from screening import scoring
    from screening.models import Instrument

    instrument = Instrument.objects.latest_of(code)
    definition = instrument.definition if instrument is not None else {}
    known = [b["code"] for b in definition.get("bands", []) if b["code"] in present]
    bands = known + sorted(present - set(known))
    return bands, [scoring.band_label(definition, band) for band in bands]


def band_counts_live(
    county_ids: list[int], years: tuple[int, ...] | None = None
) -> dict[BandKey, int]:
    """The banded screening results of ``county_ids`` (of ``years``, or all) grouped live by
    instrument, year of ``administered_on``, grade of the student's current class, sex and band:
    what ``band_counts_refresh`` stores per county, and what the bench and the tests compare the
    page with."""
    results = ScreeningResult.objects.filter(county_id__in=county_ids)
    if years is not None:
        results = results.filter(
            administered_on__year__gte=min(years), administered_on__year__lte=max(years)
        )
    rows = (
        results.exclude(band="")
        .annotate(y=ExtractYear("administered_on"))
        .order_by()
        .values("instrument__code", "y", "student__klass__grade", "student__gender", "band")
        .annotate(n=Count("id"))
    )
    return {
        (
            r["instrument__code"],
            r["y"],
            r["student__klass__grade"],
            r["student__gender"],
            r["band"],
        ): r["n"]
        for r in rows
    }


def band_counts_refresh(*, county_ids: Iterable[int] | None = None) -> int:
    """Recount the banded screening results of ``county_ids`` (every county when None) by
    instrument, year, grade of the student's current class, sex and band: one grouped statement
    and one replace of the county's rows per county, each in its own transaction (a page reads a
    county's old counts or its new ones, never half). Returns the rows written."""
    counties = OrgUnit.objects.filter(kind=OrgKind.COUNTY)
    if county_ids is not None:
        counties = counties.filter(pk__in=list(county_ids))
    written = 0
    for county_id in counties.order_by("pk").values_list("pk", flat=True):
        grouped = band_counts_live([county_id])
        now = timezone.now()
        fresh = [
            TrendBandCount(
                county_id=county_id,
                instrument_code=code,
                year=year,
                grade=grade,
                gender=gender,
                band=band,
                count=n,
                computed_at=now,
            )
            for (code, year, grade, gender, band), n in grouped.items()
        ]
        with transaction.atomic():
            TrendBandCount.objects.filter(county_id=county_id).delete()
            TrendBandCount.objects.bulk_create(fresh, batch_size=2000)
        written += len(fresh)
    return written
