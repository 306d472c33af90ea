"""Deployment checks: the production settings, the docker-compose file, and clean migrations.

Each check runs the real command in a subprocess, the way an operator or CI would, because the
production settings refuse to import inside the test settings' process."""

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
WORKERS = tuple(
    f"worker-{queue}" for queue in ("alerts", "reminders", "imports", "reports", "default")
)
LONG_RUNNING = {"postgres", "redis", "web", "beat", *WORKERS}
SECRETS = (
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "POSTGRES_PASSWORD",
    "APP_DB_PASSWORD",
    "ALLOWED_HOSTS",
    "SITE_URL",
)


# What a production process inherits from the test run: nothing else (the test session sets
# variables such as DJANGO_ALLOW_ASYNC_UNSAFE that a deployment must not have).
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "DATABASE_URL", "REDIS_URL")


def _production_env(**overrides: str | None) -> dict[str, str]:
    env = {key: os.environ[key] for key in PASSED_THROUGH if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="mhcare.settings.production",
        SECRET_KEY=secrets.token_urlsafe(48)[:64],
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="mhcare.example.org",
        SITE_URL="https://mhcare.example.org",
    )
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _compose(*args: str, env: dict[str, str], env_file: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail(
            "docker-compose is not installed: `make test` installs Debian's docker-compose "
            "(apt-get install --no-install-recommends docker-compose)"
        )
    # --env-file: an empty file, so a developer's own .env cannot fill in what the test leaves out.
    return subprocess.run(
        [binary, "-f", str(COMPOSE_FILE), "--env-file", str(env_file), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def compose_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    env = {key: value for key, value in os.environ.items() if key not in SECRETS}
    env.update(
        SECRET_KEY="dummy-" + "x" * 60,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        POSTGRES_PASSWORD="dummy-password",
        APP_DB_PASSWORD="dummy-app-password",
        ALLOWED_HOSTS="mhcare.example.org",
        SITE_URL="https://mhcare.example.org",
    )
    env_file = tmp_path / "empty.env"
    env_file.write_text("")
    return env, env_file


def test_check_deploy_prints_no_warning():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output
    assert "WARNINGS" not in output


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "too-short"}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "django-insecure-" + "a" * 50}, "SECRET_KEY must be set"),
        ({"FIELD_ENCRYPTION_KEYS": None}, "FIELD_ENCRYPTION_KEYS must hold"),
        ({"FIELD_ENCRYPTION_KEYS": "not-a-fernet-key"}, "FIELD_ENCRYPTION_KEYS"),
        ({"SITE_URL": None}, "SITE_URL must be set"),
    ],
)
def test_production_refuses_to_start_without_real_secrets(overrides, message):
    result = _manage("check", env=_production_env(**overrides))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_migrations_match_the_models():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="mhcare.settings.test")

    result = _manage("makemigrations", "--check", "--dry-run", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def test_compose_file_is_valid(compose_env):
    env, env_file = compose_env

    result = _compose("config", "-q", env=env, env_file=env_file)

    assert result.returncode == 0, result.stderr


def test_compose_services_have_health_checks_volumes_and_no_secret_defaults(compose_env):
    env, env_file = compose_env

    result = _compose("config", env=env, env_file=env_file)

    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    services = config["services"]
    assert set(services) >= LONG_RUNNING
    for name in ("postgres", "redis", "web", *WORKERS):
        assert "healthcheck" in services[name], name
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    assert "noeviction" in services["redis"]["command"]
    assert "gunicorn" in services["web"]["command"]
    assert "mhcare.wsgi:application" in services["web"]["command"]
    assert {"postgres-data", "redis-data", "media"} <= set(config["volumes"])
    for name in ("web", "beat", *WORKERS):
        environment = services[name]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "mhcare.settings.production"
        assert environment["SECRET_KEY"] == env["SECRET_KEY"]
        assert environment["FIELD_ENCRYPTION_KEYS"] == env["FIELD_ENCRYPTION_KEYS"]
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://")


@pytest.mark.parametrize("missing", SECRETS)
def test_compose_refuses_to_render_without_each_secret(compose_env, missing):
    env, env_file = compose_env
    del env[missing]

    result = _compose("config", "-q", env=env, env_file=env_file)

    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_beat_and_worker_load_the_same_application():
    """Beat sends tasks by name: it must load the application whose tasks the worker registers
    (tests/test_worker_registry.py starts both workers and compares their tasks with the code)."""
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    for name in WORKERS:
        assert services[name]["command"][:3] == ["celery", "--app=mhcare", "worker"]
    assert services["beat"]["command"][:3] == ["celery", "--app=mhcare", "beat"]
    from tests.workers import load_run_script

    run = load_run_script()
    assert run.worker_argv("python")[1:6] == ["-m", "celery", "-A", "mhcare", "worker"]
    assert run.beat_argv("python")[1:6] == ["-m", "celery", "-A", "mhcare", "beat"]


# --- scale: PgBouncer for the web replicas (issue 14) ---
def test_the_web_service_goes_through_pgbouncer_in_transaction_pooling(compose_env):
    env, env_file = compose_env

    result = _compose("config", env=env, env_file=env_file)

    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    pgbouncer = services["pgbouncer"]
    assert pgbouncer["environment"]["POOL_MODE"] == "transaction"
    assert pgbouncer["environment"]["DB_HOST"] == "postgres"
    assert "healthcheck" in pgbouncer
    web = services["web"]["environment"]
    assert "@pgbouncer:5432/" in web["DATABASE_URL"]
    assert web["DATABASE_PGBOUNCER"] == "true"
    assert services["web"]["depends_on"]["pgbouncer"] == {"condition": "service_healthy"}
    # the workers, beat and migrate keep a direct connection (TEMP tables and a session-level
    # advisory lock outlive one transaction: compliance/refresh.py, screening/imports)
    for name in ("beat", "migrate", *WORKERS):
        assert "@postgres:5432/" in services[name]["environment"]["DATABASE_URL"], name
        assert "DATABASE_PGBOUNCER" not in services[name]["environment"], name


def test_pgbouncer_mode_turns_server_side_cursors_off():
    code = (
        "from django.db import connections; "
        "print(connections['default'].settings_dict['DISABLE_SERVER_SIDE_CURSORS'])"
    )
    env = _production_env(DATABASE_PGBOUNCER="true")

    result = _manage("shell", "-c", code, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"
    result = _manage("shell", "-c", code, env=_production_env())
    assert result.stdout.strip().splitlines()[-1] == "False"


# --- scale: PostgreSQL sized for a province (issue 14, README "PostgreSQL for a province") ---
UNITS = {"B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
TIME_UNITS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60_000, "h": 3_600_000, "d": 86_400_000}


def _in_base_unit(value: str, unit: str) -> float:
    """``value`` as PostgreSQL reads it, in the setting's unit (``pg_settings.unit``)."""
    number = value.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    suffix = value[len(number) :]
    if not suffix:
        return float(number)
    size = re.fullmatch(r"(\d*)(B|kB|MB|GB|TB)", unit)
    if size:
        assert suffix in UNITS, (value, unit)
        return float(number) * UNITS[suffix] / (int(size[1] or 1) * UNITS[size[2]])
    assert suffix in TIME_UNITS, (value, unit)
    assert unit in TIME_UNITS, (value, unit)
    return float(number) * TIME_UNITS[suffix] / TIME_UNITS[unit]


@pytest.mark.django_db
def test_the_database_server_settings_are_ones_postgresql_accepts(compose_env):
    """A misspelt ``-c`` setting or a value out of range stops the server at start: each one in
    the compose file's postgres command (with its defaults) is checked against ``pg_settings``."""
    from django.db import connection

    env, env_file = compose_env
    result = _compose("config", env=env, env_file=env_file)
    assert result.returncode == 0, result.stderr
    command = yaml.safe_load(result.stdout)["services"]["postgres"]["command"]
    pairs = {
        name.lower(): value
        for flag, arg in zip(command, command[1:], strict=False)
        if flag == "-c"
        for name, value in [arg.split("=", 1)]
    }
    assert {"shared_buffers", "effective_cache_size", "max_wal_size", "wal_compression"} <= set(
        pairs
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lower(name), vartype, unit, min_val, max_val, enumvals FROM pg_settings "
            "WHERE lower(name) = ANY(%s)",  # (names are case-insensitive: TimeZone)
            [list(pairs)],
        )
        known = {row[0]: row[1:] for row in cursor.fetchall()}
    assert set(known) == set(pairs), set(pairs) - set(known)
    for name, value in pairs.items():
        vartype, unit, low, high, choices = known[name]
        if vartype == "enum":
            assert value in choices, (name, value, choices)
        elif vartype in ("integer", "real"):
            amount = _in_base_unit(value, unit or "")
            assert float(low) <= amount <= float(high), (name, value)
    # the shared buffers fit in the memory the estimate says the server caches
    buffers = _in_base_unit(pairs["shared_buffers"], "kB")
    assert buffers < _in_base_unit(pairs["effective_cache_size"], "kB")
