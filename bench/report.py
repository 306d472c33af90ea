"""Benchmark of the province compliance report at scale: generation (build from the snapshots +
frozen HTML + Excel, what the Celery task does) and the PDF rendered at download with the
watermark, each run in a fresh process so that its peak memory (max RSS) is its own.

    DATABASE_URL=postgres://…/<a bench db> .venv/bin/python bench/report.py \
        [--students 300000] [--seed S] [--runs 5]

(or through ``bench/run_all.py``). The province is ``manage.py seed_province``
(``bench/harness.py::ensure_province``); the school year's snapshots are refreshed once if
missing, then it times ``--runs`` times, each in a child process:

1. generate: ``reports.build`` + ``reports.freeze`` for the province (sub-units one level down =
   11 cities, every non-compliant school of the province from one query over the schools'
   snapshots; the PDF lists the counties with their non-compliant schools and at most
   COMPLIANCE_REPORT_MAX_SCHOOLS of the lowest schools, the Excel every one);
2. download: the PDF of that frozen HTML with a watermark (WeasyPrint).

Peak memory is the child's ``VmHWM`` (its own high-water mark of resident memory, read from
``/proc/self/status`` at the end of the run). Prints min / median seconds and peak MB of each;
goal (issue 14) ≤ 10 s and ≤ 500 MB for the download, and as its last line ``RESULT {json}``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mhcare.settings.local")

from bench.harness import DEFAULT_SEED, ensure_province, print_result  # noqa: E402

TARGET_S, TARGET_MB = 10, 500


def one(step: str) -> None:
    """One measured run in this (fresh) process; prints a JSON line."""
    import django

    django.setup()
    from compliance import reports
    from compliance.models import ReportRequest
    from compliance.pdf import render_pdf
    from compliance.periods import parse_period
    from mhcare.accounts.models import User
    from mhcare.orgs.models import OrgUnit

    province = OrgUnit.objects.get(parent__isnull=True, kind="province")
    period = parse_period(os.environ["BENCH_PERIOD"])
    user = User.objects.get(username=os.environ["BENCH_USER"])
    report = ReportRequest.objects.filter(org_unit=province, period=period.code).first()
    if period.school_year is None:
        raise SystemExit(f"{period.code}: no school year")
    if report is None:
        report = ReportRequest.objects.create(
            org_unit=province, period=period.code, school_year=period.school_year, requested_by=user
        )
    base = _vm_hwm_mb()
    started = time.perf_counter()
    if step == "generate":
        data = reports.build(unit=province, period=period, generated_by="bench")
        html, xlsx = reports.freeze(report, data)
        report.html, report.xlsx, report.status = html, xlsx, "done"
        report.save(update_fields=["html", "xlsx", "status"])
        extra = {"schools": len(data.schools), "sub_units": len(data.sub_units)}
    else:
        pdf = render_pdf(report, user)
        extra = {"bytes": len(pdf)}
    seconds = time.perf_counter() - started
    print(json.dumps({"s": seconds, "peak_mb": _vm_hwm_mb(), "base_mb": base, **extra}))


def _vm_hwm_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--students", type=int, default=int(os.environ.get("BENCH_STUDENTS", "300000"))
    )
    parser.add_argument(
        "--seed", type=int, default=int(os.environ.get("BENCH_SEED", str(DEFAULT_SEED)))
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--one", choices=["generate", "download"])
    args = parser.parse_args()
    if args.one:
        one(args.one)
        return
    marker = ensure_province(os.environ["DATABASE_URL"], args.students, args.seed)
    import django

    django.setup()
    from compliance import services
    from compliance.models import IndicatorSnapshot
    from compliance.periods import parse_period

    period = parse_period(str(marker["year"]))
    if not IndicatorSnapshot.objects.filter(period=period.code, unit__parent__isnull=True).exists():
        started = time.perf_counter()
        rows = services.snapshot_refresh(period=period)
        print(f"snapshots: {rows} rows in {time.perf_counter() - started:.1f} s")
    os.environ["BENCH_PERIOD"] = period.code
    os.environ["BENCH_USER"] = marker["logins"]["province_official"]
    results: dict[str, list[dict]] = {"generate": [], "download": []}
    for _ in range(args.runs):
        for step in ("generate", "download"):
            out = (
                subprocess.run(
                    [sys.executable, __file__, "--one", step],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=os.environ,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            results[step].append(json.loads(out))
    figures: dict[str, float] = {}
    for step, runs in results.items():
        seconds = [r["s"] for r in runs]
        peaks = [r["peak_mb"] for r in runs]
        extra = {k: v for k, v in runs[0].items() if k not in ("s", "peak_mb", "base_mb")}
        print(
            f"{step}: min {min(seconds):.2f} s, median {statistics.median(seconds):.2f} s; "
            f"peak RSS (VmHWM) min {min(peaks):.0f} MB, median {statistics.median(peaks):.0f} MB "
            f"(process at start {runs[0]['base_mb']:.0f} MB) {extra}"
        )
        figures[f"{step}_min_s"] = round(min(seconds), 2)
        figures[f"{step}_median_s"] = round(statistics.median(seconds), 2)
        figures[f"{step}_peak_median_mb"] = round(statistics.median(peaks))
        figures[f"{step}_peak_max_mb"] = round(max(peaks))
        figures.update({f"{step}_{k}": v for k, v in extra.items()})
    download_s = figures["download_median_s"]
    peak = max(figures["download_peak_max_mb"], figures["generate_peak_max_mb"])
    print_result(
        "report",
        figures,
        ratio=round(max(download_s / TARGET_S, peak / TARGET_MB), 3),
        target=f"province PDF ≤ {TARGET_S} s and ≤ {TARGET_MB} MB peak RSS (VmHWM)",
        ok=download_s <= TARGET_S and peak <= TARGET_MB,
    )


if __name__ == "__main__":
    main()
