"""Load test (issues 13 and 14): concurrent users of every kind, logged in through the real login
form (and the TOTP second factor where their role needs it), browsing their usual pages on a
gunicorn server on loopback, with locust headless.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mhcare_bench_load \\
        .venv/bin/python bench/load.py [--minutes 5] [--users 50] [--compare-minutes 2] \\
        [--province demo|seeded] [--students N] [--workers 4] [--port 8765]

1. Prepares the database (migrate and ``seed_demo`` for the demo province; for a generated one
   ``bench/harness.py::ensure_province``, i.e. ``seed_province --students N`` made once) and
   one login account per simulated user, ``load_*``, holding the same role at the same unit
   (and class) as a user of the data set, with the demo TOTP key where the role needs a second
   factor. One account per simulated user: a TOTP code is accepted once per device and time
   step, as for real people.
2. Serves the app with gunicorn (production settings over plain HTTP: bench/load_settings.py),
   tasks in-process (no worker needed: the pages browsed enqueue nothing).
3. Times the pages with one user per role first (``--baseline-minutes``: the server idle but
   for them). Then runs the mix for ``--minutes``: psychology teachers, homeroom teachers,
   school leaders (group "school"), county center staff ("county") and officials ("official"),
   each waiting 1–3 s between pages, as a person clicking does. Then, for
   ``--compare-minutes``, as many users again but school and county ones only (the officials
   replaced in proportion): do the officials' dashboards slow the others more than the same
   number of school users would?
4. Prints p50 / p95 per page, errors, requests/s, and ``RESULT {json}``.

Every request goes to 127.0.0.1; the run stops by itself after the minutes given (at most 60).
"""

from __future__ import annotations

import sys

if "--phase" in sys.argv:  # the locust child: gevent must patch before anything else imports
    from gevent import monkey

    monkey.patch_all()

import argparse
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import signal
import statistics
import struct
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
TARGET = "0 errors, p95 < 1 s school/county"
TARGET_P95_MS = 1000.0
MAX_MINUTES = 60.0
# The demo TOTP key (mhcare/accounts/demo.py): RFC 6238's published test key, demo accounts only.
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
# The local development encryption key (mhcare/settings/local.py): the seeded rows are readable.
LOCAL_FIELD_KEY = "bG9jYWwtZGV2ZWxvcG1lbnQta2V5LW5vdC1zZWNyZXQ="
PASSWORD = "Load-test-" + "Passw0rd!"  # the load accounts' password (a bench database only)

# Simulated users per role for 50; other totals keep the proportions.
MIX = {
    "psych_teacher": 14,
    "homeroom_teacher": 12,
    "school_leader": 6,
    "county_center": 8,
    "official": 10,
}
GROUP = {
    "psych_teacher": "school",
    "homeroom_teacher": "school",
    "school_leader": "school",
    "county_center": "county",
    "official": "official",
}
# The pages each kind of person opens most (their navigation's first entries).
PAGES: dict[str, list[tuple[str, str]]] = {
    "psych_teacher": [
        ("home", "/"),
        ("students", "/students/"),
        ("campaigns", "/screening/campaigns/"),
        ("high-risk", "/crisis/high-risk/"),
        ("observation queue", "/screening/observations/queue/"),
        ("families", "/crisis/families/"),
        ("inbox", "/inbox/"),
    ],
    "homeroom_teacher": [
        ("home", "/"),
        ("my observations", "/screening/observations/mine/"),
        ("families", "/crisis/families/"),
        ("inbox", "/inbox/"),
    ],
    "school_leader": [
        ("home", "/"),
        ("high-risk", "/crisis/high-risk/"),
        ("reviews", "/crisis/reviews/"),
        ("incidents", "/crisis/incidents/"),
        ("campaigns", "/screening/campaigns/"),
    ],
    "county_center": [
        ("home", "/"),
        ("high-risk", "/crisis/high-risk/"),
        ("unreported", "/crisis/reports/"),
        ("incidents", "/crisis/incidents/"),
        ("campaigns", "/screening/campaigns/"),
    ],
    "official": [
        ("home", "/"),
        ("indicators", "/compliance/indicators/"),
        ("trends", "/compliance/trends/"),
        ("reports", "/compliance/reports/"),
        ("campaigns", "/screening/campaigns/"),
        ("incidents", "/crisis/incidents/"),
    ],
}


def totp(key_hex: str, at: float | None = None) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), as django-otp's TOTPDevice checks it."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


def mix_for(users: int, with_officials: bool = True) -> dict[str, int]:
    """``users`` simulated users in MIX's proportions; without officials, the same total of
    school and county users (so the comparison changes the kind of pages, not the load)."""
    shares = {role: n for role, n in MIX.items() if with_officials or role != "official"}
    total = sum(shares.values())
    return {role: max(1, round(n * users / total)) for role, n in shares.items()}


# --- preparation (Django) ------------------------------------------------------------------------


def _django_env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mhcare.settings.local",
        "FIELD_ENCRYPTION_KEYS": LOCAL_FIELD_KEY,
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }


def _manage(*args: str) -> None:
    subprocess.run(  # noqa: S603 - a fixed command line
        [PYTHON, "manage.py", *args], cwd=ROOT, env=_django_env(), check=True
    )


def prepare(
    province: str, students: int, per_role: dict[str, int], *, seed: bool = True
) -> dict[str, list[str]]:
    if seed and province == "demo":
        _manage("migrate", "--noinput", "-v", "0")
        _manage("seed_demo", "--quiet-logins")
    elif seed:
        # the generated province of bench/run_all.py, made once per size and seed
        sys.path.insert(0, str(ROOT))
        from bench.harness import DEFAULT_SEED, ensure_province

        ensure_province(
            os.environ["DATABASE_URL"],
            students,
            int(os.environ.get("BENCH_SEED", DEFAULT_SEED)),
        )
    out = subprocess.run(  # noqa: S603 - a fixed command line
        [PYTHON, __file__, "--accounts", json.dumps(per_role)],
        cwd=ROOT,
        env=_django_env(),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_accounts(per_role: dict[str, int]) -> dict[str, list[str]]:
    """``load_<role>_<n>`` accounts, each holding the role of an existing assignment (spread over
    as many units as the data set has), with the demo TOTP key where the role needs it.
    Idempotent: existing load accounts are kept."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from mhcare.accounts.models import EncryptedTOTPDevice, RoleAssignment, User
    from mhcare.accounts.twofactor import DEVICE_NAME, two_factor_required

    password = make_password(PASSWORD)
    accounts: dict[str, list[str]] = {}
    with transaction.atomic():
        for role, count in per_role.items():
            # Units spread over the whole province (evenly by id), not its first ones: a
            # school's or county's students are a run of ids, and a plan that walks the ids up to
            # the unit's is cheap for the first units only (tests/perf/test_index_plans.py).
            held = list(
                RoleAssignment.objects.filter(role=role, is_active=True)
                .exclude(user__username__startswith="load_")
                .order_by("org_unit_id", "klass_id", "pk")
                .values_list("pk", flat=True)
            )
            if not held:
                raise SystemExit(f"no user holds the role {role} in this database")
            spread = sorted({held[i * len(held) // count] for i in range(count)})
            templates = list(
                RoleAssignment.objects.filter(pk__in=spread).order_by("org_unit_id", "klass_id")
            )
            names = []
            for n in range(count):
                template = templates[n % len(templates)]
                username = f"load_{role}_{n:02d}"
                user, created = User.objects.get_or_create(
                    username=username,
                    defaults={"password": password, "password_changed_at": timezone.now()},
                )
                if created:
                    RoleAssignment.objects.create(
                        user=user, role=role, org_unit=template.org_unit, klass=template.klass
                    )
                else:
                    User.objects.filter(pk=user.pk).update(
                        password=password, password_changed_at=timezone.now()
                    )
                if two_factor_required(user):
                    # update: an earlier run's user may have left an unconfirmed device of its
                    # own (an enrolment page visited) under the same name
                    EncryptedTOTPDevice.objects.update_or_create(
                        user=user,
                        name=DEVICE_NAME,
                        defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True},
                    )
                names.append(username)
            accounts[role] = names
    return accounts


# --- the server ----------------------------------------------------------------------------------


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **_django_env(),
        "DJANGO_SETTINGS_MODULE": "load_settings",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(  # noqa: S603 - a fixed command line
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "mhcare.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--timeout=60",
            f"--pythonpath={ROOT / 'bench'}",
        ],  # fmt: skip
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as r:  # noqa: S310
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz in 90 s")


# --- one phase of simulated users (the locust child) ---------------------------------------------


def run_phase(config: dict[str, Any]) -> dict[str, Any]:
    from locust import HttpUser, User, between, events, task
    from locust.env import Environment

    samples: list[tuple[str, float, bool]] = []
    pools = {role: list(names) for role, names in config["accounts"].items()}
    logged_in: list[str] = []

    @events.request.add_listener
    def _record(name: str, response_time: float, exception: Any, **_: Any) -> None:
        samples.append((name, response_time, exception is not None))

    def make_user(role: str, count: int) -> type[HttpUser]:
        pages = PAGES[role]
        group = GROUP[role]

        class Person(HttpUser):
            host = config["host"]
            wait_time = between(1, 3)
            fixed_count = count

            def on_start(self) -> None:
                self.username = pools[role].pop()
                self.login()

            def _form_token(self, html: str) -> str:
                match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
                return match.group(1) if match else ""

            def login(self) -> None:
                page = self.client.get("/accounts/login/", name=f"{group} login")
                with self.client.post(
                    "/accounts/login/",
                    {
                        "username": self.username,
                        "password": PASSWORD,
                        "csrfmiddlewaretoken": self._form_token(page.text),
                    },
                    name=f"{group} login",
                    catch_response=True,
                ) as answer:
                    if "/accounts/login/" in answer.url:
                        answer.failure("password refused")
                if "/two-factor/verify/" in answer.url:  # the role needs the second factor
                    self.second_factor(answer)
                self.next_page = random.randrange(len(pages))
                logged_in.append(self.username)

            def second_factor(self, form: Any) -> None:
                """A code is accepted once per device and 30 s step (the account may have
                logged in during this step in an earlier phase): then the next step's code."""
                for attempt in range(2):
                    if attempt:
                        time.sleep(30 - time.time() % 30 + 1)
                    with self.client.post(
                        form.url,
                        {
                            "code": totp(DEMO_TOTP_KEY_HEX),
                            "csrfmiddlewaretoken": self._form_token(form.text),
                        },
                        name=f"{group} login (TOTP)",
                        catch_response=True,
                    ) as response:
                        if "/two-factor/" not in response.url:
                            return
                        if attempt:
                            response.failure("second factor refused")
                        else:
                            response.success()
                            form = response

            @task
            def browse(self) -> None:
                label, path = pages[self.next_page % len(pages)]
                self.next_page += 1
                with self.client.get(path, name=f"{group} {label}", catch_response=True) as r:
                    if r.status_code != 200:
                        r.failure(f"HTTP {r.status_code}")
                    elif "/accounts/" in r.url:
                        r.failure(f"sent to {r.url}")

        Person.__name__ = f"Person_{role}"
        return Person

    user_classes: list[type[User]] = [make_user(role, n) for role, n in config["mix"].items()]
    env = Environment(user_classes=user_classes, events=events)
    runner = env.create_local_runner()
    total = sum(config["mix"].values())
    runner.start(total, spawn_rate=config.get("spawn_rate", 10))
    ramp_deadline = time.monotonic() + 300
    while len(logged_in) < total and time.monotonic() < ramp_deadline:
        time.sleep(0.5)
    print(f"{len(logged_in)} users logged in, {len(samples)} requests so far", flush=True)
    first = len(samples)
    started = time.monotonic()
    time.sleep(config["seconds"])
    window = samples[first:]
    elapsed = time.monotonic() - started
    runner.quit()
    print(f"{len(window)} requests in {elapsed:.0f} s", flush=True)
    logins = [s for s in samples if "login" in s[0]]
    return {
        "samples": [(name, ms, failed) for name, ms, failed in window if "login" not in name],
        "elapsed": elapsed,
        "login_errors": sum(1 for s in logins if s[2]),
        "logins": len(logins),
    }


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def summarise(phase: dict[str, Any]) -> dict[str, Any]:
    by_name: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for name, ms, failed in phase["samples"]:
        by_name.setdefault(name, []).append(ms)
        errors[name] = errors.get(name, 0) + int(failed)
    groups: dict[str, list[float]] = {}
    for name, values in by_name.items():
        groups.setdefault(name.split(" ", 1)[0], []).extend(values)
    return {
        "pages": {
            name: {
                "n": len(v),
                "p50": _percentile(v, 0.5),
                "p95": _percentile(v, 0.95),
                "errors": errors[name],
            }
            for name, v in sorted(by_name.items())
        },
        "groups": {
            g: {"n": len(v), "p50": _percentile(v, 0.5), "p95": _percentile(v, 0.95)}
            for g, v in sorted(groups.items())
        },
        "errors": sum(errors.values()) + phase["login_errors"],
        "requests": len(phase["samples"]),
        "rps": len(phase["samples"]) / phase["elapsed"] if phase["elapsed"] else 0.0,
    }


def child_phase(config: dict[str, Any], log: Path) -> dict[str, Any]:
    out = log.with_suffix(".json")
    with log.open("wb") as handle:
        subprocess.run(  # noqa: S603 - a fixed command line
            [PYTHON, __file__, "--phase", json.dumps(config), "--phase-out", str(out)],
            cwd=ROOT,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=True,
            timeout=config["seconds"] + 600,
        )
    return json.loads(out.read_text())


def print_phase(title: str, summary: dict[str, Any]) -> None:
    print(f"\n{title}: {summary['requests']} requests, {summary['rps']:.1f} requests/s, "
          f"{summary['errors']} errors")  # fmt: skip
    print(f"  {'page':<32} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
    for name, row in summary["pages"].items():
        print(
            f"  {name:<32} {row['n']:>6} {row['p50']:>8.0f} {row['p95']:>8.0f} {row['errors']:>7}"
        )
    for name, row in summary["groups"].items():
        print(f"  {'group ' + name:<32} {row['n']:>6} {row['p50']:>8.0f} {row['p95']:>8.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument(
        "--compare-minutes",
        type=float,
        default=2.0,
        help="then the school/county users alone for this long (0: skip)",
    )
    parser.add_argument(
        "--baseline-minutes",
        type=float,
        default=0.5,
        help="first one user of each role for this long: the pages' time on an idle server",
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--province", choices=["demo", "seeded"], default="demo")
    parser.add_argument(
        "--students",
        type=int,
        default=int(os.environ.get("BENCH_STUDENTS", "300000")),
        help="for --province seeded (bench/run_all.py sets BENCH_STUDENTS)",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--skip-prepare", action="store_true", help="the data set is there")
    parser.add_argument("--phase")
    parser.add_argument("--phase-out")
    parser.add_argument("--accounts")
    args = parser.parse_args()
    if args.accounts:
        print(json.dumps(make_accounts(json.loads(args.accounts))))
        return
    if args.phase:
        Path(args.phase_out).write_text(json.dumps(run_phase(json.loads(args.phase))))
        return

    database = os.environ.get("DATABASE_URL", "")
    if not database or database.rstrip("/").rsplit("/", 1)[-1] in {"mhcare", "test_mhcare"}:
        raise SystemExit("set DATABASE_URL to a bench database of its own (not mhcare)")
    minutes = min(args.minutes, MAX_MINUTES)
    compare = min(args.compare_minutes, MAX_MINUTES)
    mix = mix_for(args.users)
    logs = ROOT / ".data" / "bench-load"
    logs.mkdir(parents=True, exist_ok=True)
    print(f"load: {sum(mix.values())} users {mix}, {minutes:g} min on the {args.province} province;"
          f" gunicorn --workers={args.workers} on 127.0.0.1:{args.port}", flush=True)  # fmt: skip
    alone_mix = mix_for(args.users, with_officials=False)
    needed = {role: max(mix.get(role, 0), alone_mix.get(role, 0)) for role in mix}
    accounts_by_role = prepare(args.province, args.students, needed, seed=not args.skip_prepare)
    server = start_server(args.port, args.workers, logs / "gunicorn.log")
    # The machine's load before and after: the figures of a shared machine are read with it.
    load_before = os.getloadavg()[0]
    try:
        host = f"http://127.0.0.1:{args.port}"
        base = {"host": host, "accounts": accounts_by_role}
        baseline = None
        if args.baseline_minutes > 0:
            baseline = summarise(
                child_phase(
                    {
                        **base,
                        "mix": dict.fromkeys(mix, 1),
                        "seconds": min(args.baseline_minutes, MAX_MINUTES) * 60,
                    },
                    logs / "phase-baseline.log",
                )
            )
            print_phase("one user per role (baseline)", baseline)
        main_phase = summarise(
            child_phase({**base, "mix": mix, "seconds": minutes * 60}, logs / "phase-mix.log")
        )
        print_phase("all roles", main_phase)
        alone = None
        if compare > 0:
            alone = summarise(
                child_phase(
                    {
                        **base,
                        "mix": alone_mix,
                        "seconds": compare * 60,
                    },
                    logs / "phase-alone.log",
                )
            )
            print_phase("without officials", alone)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(30)

    def p95(summary: dict[str, Any] | None, group: str) -> float | None:
        if summary is None or group not in summary["groups"]:
            return None
        return round(summary["groups"][group]["p95"], 1)

    figures: dict[str, Any] = {
        "province": args.province,
        "gunicorn_workers": args.workers,
        "machine_load_1m": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "users": sum(mix.values()),
        "minutes": minutes,
        "requests_per_s": round(main_phase["rps"], 2),
        "errors": main_phase["errors"],
        "p95_ms": {g: p95(main_phase, g) for g in ("school", "county", "official")},
        "p50_ms": {g: round(r["p50"], 1) for g, r in main_phase["groups"].items()},
        "pages_p95_ms": {n: round(r["p95"], 1) for n, r in main_phase["pages"].items()},
    }
    if baseline is not None:
        figures["baseline_p50_ms"] = {g: round(r["p50"], 1) for g, r in baseline["groups"].items()}
    ratio = None
    if alone is not None:
        figures["without_officials_p95_ms"] = {g: p95(alone, g) for g in ("school", "county")}
        figures["without_officials_errors"] = alone["errors"]
        with_them = [p95(main_phase, g) or 0.0 for g in ("school", "county")]
        without = [p95(alone, g) or 0.0 for g in ("school", "county")]
        if min(without) > 0:
            # > 1: with officials in the mix the school and county pages are that much slower
            # than with as many school / county users instead
            ratio = round(
                statistics.mean(w / o for w, o in zip(with_them, without, strict=True)), 2
            )
    ok = (
        main_phase["requests"] > 0
        and main_phase["errors"] == 0
        and (alone is None or alone["errors"] == 0)
        and all((p95(main_phase, g) or 0.0) < TARGET_P95_MS for g in ("school", "county"))
    )
    print("RESULT " + json.dumps(
        {"bench": "load", "figures": figures, "ratio": ratio, "target": TARGET, "ok": ok},
        ensure_ascii=False,
    ))  # fmt: skip


if __name__ == "__main__":
    main()
