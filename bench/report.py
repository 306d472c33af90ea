"""Benchmark of the province compliance report at scale: generation (build from the snapshots +
frozen HTML + Excel, what the Celery task does) and the PDF rendered at download with the
watermark, each run in a fresh process so that its peak memory (max RSS) is its own.

    DATABASE_URL=postgres://…/<a bench db> .venv/bin/python bench/report.py \
        [--schools 10000] [--students-per-school 10] [--runs 5]

Uses the bench province of bench/indicators.py (``IB…`` codes; created once if missing, here with
few students per school: the report reads snapshots, not students), refreshes the school year's
snapshots once, then times ``--runs`` times, each in a child process:

1. generate: ``reports.build`` + ``reports.freeze`` for the province (sub-units one level down =
   11 cities, every non-compliant school of the province from one query over the schools'
   snapshots, the PDF listing at most COMPLIANCE_REPORT_MAX_SCHOOLS of them);
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

    province = OrgUnit.objects.get(code="IB")
    period = parse_period("2026")
    user = User.objects.get(username="bench_indicators")
    report = ReportRequest.objects.filter(org_unit=province, period="2026").first()
    if report is None:
        report = ReportRequest.objects.create(
            org_unit=province, period="2026", school_year=period.school_year, requested_by=user
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
    parser.add_argument("--schools", type=int, default=10000)
    parser.add_argument("--students-per-school", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--one", choices=["generate", "download"])
    args = parser.parse_args()
    if args.one:
        one(args.one)
        return
    import django

    django.setup()
    sys.argv = [sys.argv[0]]
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_indicators", ROOT / "bench" / "indicators.py"
    )
    if spec is None or spec.loader is None:
        raise SystemExit("bench/indicators.py not found")
    ib = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ib)  # defines the generator; runs nothing
    from compliance import services
    from compliance.models import IndicatorSnapshot
    from compliance.periods import parse_period

    ib.generate(args.schools, args.students_per_school)
    if not IndicatorSnapshot.objects.filter(period="2026", unit__code="IB").exists():
        started = time.perf_counter()
        rows = services.snapshot_refresh(period=parse_period("2026"))
        print(f"snapshots: {rows} rows in {time.perf_counter() - started:.1f} s")
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
    result = {
        "bench": "report",
        "figures": figures,
        "ratio": round(max(download_s / TARGET_S, peak / TARGET_MB), 3),
        "target": f"province PDF <= {TARGET_S} s and <= {TARGET_MB} MB peak RSS",
        "ok": download_s <= TARGET_S and peak <= TARGET_MB,
    }
    print("RESULT " + json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
