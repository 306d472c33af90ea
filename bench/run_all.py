"""Run every bench on one bench database holding a generated province and write bench/RESULTS.md.

    .venv/bin/python bench/run_all.py [--students 300000 | --full] [--seed S]
        [--database-url postgres://…/mhcare_bench] [--only name …]

The province is made once (``bench/harness.py::ensure_province``) and reused while it holds the
same number of students and seed. Each bench is a subprocess with ``DATABASE_URL`` set to the
bench database (and ``BENCH_STUDENTS`` / ``BENCH_SEED``); its last ``RESULT {json}`` line is its
result. A bench that fails, times out or prints no RESULT is a row marked failed. Before each
bench ``harness.settle`` waits for the server's autovacuum workers to finish and runs a
``CHECKPOINT`` (what it did is written in the bench's section), so that no bench is timed while
the server still works off the previous one's writes.

To add a bench, append one line to ``BENCHES``: ("name", ["bench/<script>.py", args…]).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    DEFAULT_SEED,
    create_database,
    ensure_province,
    manage,
    settle,
)

FULL_PROVINCE = 6_500_000
DEFAULT_STUDENTS = 300_000  # `make bench`: about 10 minutes on 2 cores
TIMEOUT_SECONDS = 3 * 3600

BENCHES: list[tuple[str, list[str]]] = [
    ("indicators", ["bench/indicators.py", "--runs", "3"]),
    # --- lists: county lists, growth file, the students API under gunicorn (issue 14) ---
    # (probes of a few milliseconds: more alternated runs, so that a median is not decided by a
    # few busy moments of a shared 2-core machine; each run costs well under a second)
    ("lists", ["bench/lists.py", "--runs", "21"]),
    ("growth_file", ["bench/growth_file.py", "--runs", "15"]),
    # (throughput of two servers on a shared 2-core machine swings by a quarter from one 8 s run
    # to the next: five alternations, so that one busy moment does not decide the median)
    ("students_api_load", ["bench/students_api_load.py", "--runs", "5"]),
    # --- indicators: the province official's pages and the province PDF (issue 14) ---
    ("dashboards", ["bench/dashboards.py", "--runs", "5"]),
    ("report", ["bench/report.py", "--runs", "3"]),
    # --- scale: 50 users of five roles on gunicorn (issue 13/14), partitioning decision ---
    ("load", ["bench/load.py", "--province", "seeded", "--minutes", "5"]),
    ("partitioning", ["bench/partitioning.py", "--rows", "2000000", "--runs", "3"]),
    # --- pipeline: the bulk write paths (issue 14, benches 1 and 6) ---
    ("import_screening", ["bench/import_screening.py", "--rows", "250000", "--runs", "2"]),
    ("reminder_scan", ["bench/reminder_scan.py", "--cases", "100000", "--runs", "3"]),
]
# Benches that build their own data (a bench county of their own, not the generated province's
# students) and so run on a database of their own beside the province's.
OWN_DATA = {"import_screening", "reminder_scan"}
# Measurements behind a design decision rather than a target (README "Deployment at scale"):
# run only when named, `bench/run_all.py --only partitioning`.
ON_DEMAND = {"partitioning"}


@dataclass
class Outcome:
    name: str
    command: list[str]
    seconds: float
    result: dict[str, Any] | None = None
    error: str = ""
    tail: list[str] = field(default_factory=list)
    settled: str = ""  # what ``harness.settle`` did before it

    @property
    def ok(self) -> bool:
        return not self.error and self.result is not None and bool(self.result.get("ok"))


def run_bench(name: str, command: list[str], env: dict[str, str]) -> Outcome:
    settled = settle(env["DATABASE_URL"])
    started = time.perf_counter()
    print(f"--- {name}: {' '.join(command)}\n    before it: {settled}", flush=True)
    try:
        done = subprocess.run(
            [sys.executable, *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout if isinstance(exc.stdout, str) else (exc.stdout or b"").decode()
        return Outcome(
            name,
            command,
            time.perf_counter() - started,
            error=f"timed out after {TIMEOUT_SECONDS} s",
            tail=out.splitlines()[-15:],
            settled=settled,
        )
    seconds = time.perf_counter() - started
    lines = done.stdout.splitlines()
    print("\n".join(lines[-25:]), flush=True)
    outcome = Outcome(
        name, command, seconds, tail=(lines + done.stderr.splitlines())[-15:], settled=settled
    )
    results = [line for line in lines if line.startswith("RESULT ")]
    if results:
        try:
            outcome.result = json.loads(results[-1].removeprefix("RESULT "))
        except json.JSONDecodeError as exc:
            outcome.error = f"unreadable RESULT line: {exc}"
    if done.returncode != 0:
        # its figures (if it printed them) are kept, the row is a failure
        outcome.error = f"exit code {done.returncode}"
    elif outcome.result is None and not outcome.error:
        outcome.error = "no RESULT line"
    return outcome


def _first(path: str, prefix: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def machine(database_url: str) -> dict[str, str]:
    import psycopg

    memory = _first("/proc/meminfo", "MemTotal")
    with contextlib.suppress(ValueError):
        memory = f"{int(memory.split()[0]) / 2**20:.1f} GB"
    try:
        binary = subprocess.run(
            ["postgres", "--version"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        binary = "postgres not on PATH"
    with psycopg.connect(database_url) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
        settings = {
            name: conn.execute(f"SHOW {name}").fetchone()[0]
            for name in (
                "shared_buffers",
                "work_mem",
                "max_wal_size",
                "checkpoint_timeout",
                "wal_compression",
                "synchronous_commit",
            )
        }
    return {
        "cores": str(os.cpu_count()),
        "RAM": memory,
        "CPU": _first("/proc/cpuinfo", "model name"),
        "OS": platform.platform(),
        "postgres --version": binary,
        "server_version": server,
        "server settings": ", ".join(f"{k} {v}" for k, v in settings.items()),
        "load average at start": " ".join(f"{x:.1f}" for x in os.getloadavg()),
    }


def write_results(
    path: Path, *, facts: dict[str, str], marker: dict[str, Any], outcomes: list[Outcome]
) -> None:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Bench results",
        "",
        f"Written by `bench/run_all.py` on {now}.",
        "",
        f"Province: {marker['generated']:,} students generated for N = {marker['students']:,} "
        f"(seed {marker['seed']}, school year {marker['year']}-{marker['year'] + 1}).",
        "",
        "## Machine",
        "",
        *[f"- {key}: {value}" for key, value in facts.items()],
        "",
        "## Summary",
        "",
        "| bench | ok | ratio (app ÷ limit) | target | time |",
        "|---|---|---|---|---|",
    ]
    for o in outcomes:
        ratio = o.result.get("ratio") if o.result else None
        target = o.result.get("target", "") if o.result else ""
        status = f"**failed** ({o.error})" if o.error else ("yes" if o.ok else "no")
        ratio_text = f"{ratio:.2f}" if isinstance(ratio, (int, float)) else "—"
        lines.append(f"| {o.name} | {status} | {ratio_text} | {target} | {o.seconds:.0f} s |")
    for o in outcomes:
        lines += ["", f"## {o.name}", "", f"    {' '.join(o.command)}", ""]
        if o.settled:
            lines += [f"Before it: {o.settled}.", ""]
        if o.error:
            lines += [f"**Failed**: {o.error}. Last lines of its output:", ""]
            lines += [f"    {line}" for line in o.tail]
            lines.append("")
        if o.result is None:
            continue
        lines += ["| figure | value |", "|---|---|"]
        lines += [f"| {label} | {value} |" for label, value in o.result.get("figures", {}).items()]
        ratio = o.result.get("ratio")
        lines += [
            "",
            f"- ratio (app ÷ physical limit): {ratio if ratio is not None else '—'}",
            f"- target: {o.result.get('target', '')}",
            f"- ok: {'yes' if o.ok else 'no'}",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=DEFAULT_STUDENTS)
    parser.add_argument("--full", action="store_true", help=f"{FULL_PROVINCE:,} students")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL")
        or "postgres://postgres@127.0.0.1:5432/mhcare_bench",
    )
    parser.add_argument("--only", nargs="*", help="bench names to run (default: all)")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    students = FULL_PROVINCE if args.full else args.students

    facts = machine_or_exit(args.database_url)
    marker = ensure_province(args.database_url, students, args.seed)
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "mhcare.settings.local"),
        "BENCH_STUDENTS": str(students),
        "BENCH_SEED": str(args.seed),
    }
    outcomes = []
    for name, command in BENCHES:
        if (args.only and name not in args.only) or (not args.only and name in ON_DEMAND):
            continue
        bench_env = env
        if name in OWN_DATA:
            # Its own database, migrated: the bench adds a county of its own, which must not
            # become the "largest county" the list benches pick, nor count in the province's
            # indicators, on the next run.
            own_url = f"{args.database_url}_{name}"
            create_database(own_url)
            manage(own_url, "migrate", "--verbosity", "0")
            bench_env = {**env, "DATABASE_URL": own_url}
        outcomes.append(run_bench(name, command, bench_env))
    write_results(Path(args.output), facts=facts, marker=marker, outcomes=outcomes)
    print(f"wrote {args.output}")
    for o in outcomes:
        print(f"{o.name:<24} {'ok' if o.ok else 'NOT OK'} {o.error}")


def machine_or_exit(database_url: str) -> dict[str, str]:
    """The machine facts; the database is created first so its server can be asked."""
    create_database(database_url)
    return machine(database_url)


if __name__ == "__main__":
    main()
