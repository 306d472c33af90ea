# mhcare — the two commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
export PYTHON VENV

# `make test` runs on its own database (pytest creates test_<name> beside it) unless DATABASE_URL is set.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/mhcare
PYTEST_ARGS ?=

.PHONY: help run test lint format venv sysdeps messages requirements clean

help:
	@echo "make run    set up .venv, the database and demo data; serve http://127.0.0.1:8000"
	@echo "make test   set up, lint, and run the whole test suite on PostgreSQL"
	@echo "make lint   ruff check, ruff format --check, mypy (every app), makemigrations --check"
	@echo "make format ruff format + ruff check --fix"
	@echo "make requirements   re-pin requirements/*.txt from requirements/*.in with uv"
	@echo "make bench  every bench on a generated province (BENCH_FULL=1: 6.5 M students)"

venv:
	@bash scripts/setup.sh venv

sysdeps:
	@bash scripts/setup.sh sysdeps

messages: venv
	@bash scripts/setup.sh messages

run: venv messages
	@DJANGO_SETTINGS_MODULE=mhcare.settings.local $(VPY) scripts/run.py

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	DJANGO_SETTINGS_MODULE=mhcare.settings.test DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
		$(VPY) manage.py makemigrations --check --dry-run

format: venv
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# pytest's exit code 5 means "no tests ran": that is a failure here, never a silent pass.
# --- suite: two pytest runs. The tests marked `serial` (PostgreSQL restart, worker kills,
# `make run`) alone, then the bulk in TEST_WORKERS pytest-xdist processes (each on its own test
# database, test_<name>_gw0…, and Redis database, see tests/workers.py). Between them they run
# every test collected (-m "not serial" + -m serial); either run failing, or running no test
# (exit code 5), fails `make test`. TEST_WORKERS=0 runs the first part in one process.
# PYTHONDONTWRITEBYTECODE is unset for them: the first run writes the bytecode of the project's
# modules (and pytest's rewritten tests) that the xdist workers and Celery workers then reuse.
# MHCARE_TEST_DB_TEMPLATE: every test database of the run is a copy of one database migrated
# once (tests/dbtemplate.py), not migrated again in each process.
# --dist worksteal: a worker that runs out of tests takes queued ones from the other, so a few
# long tests (the demo crawl, the schema fuzz, the migration round trips) do not leave one worker
# idle at the end of the run while the other works through its share.
TEST_WORKERS ?= 2
test: venv sysdeps lint messages
	@mkdir -p test-artifacts
	@set +e; \
	unset PYTHONDONTWRITEBYTECODE; \
	export MHCARE_TEST_DB_TEMPLATE="$$(date +%s)-$$$$"; \
	export DJANGO_SETTINGS_MODULE=mhcare.settings.test; \
	export DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)}; \
	failed=0; \
	for part in "serial" "not serial"; do \
		if [ "$$part" = serial ]; then workers=0; else workers=$(TEST_WORKERS); fi; \
		echo "make test: pytest -m '$$part' (-n $$workers)"; \
		$(VENV)/bin/pytest tests --create-db -n $$workers --dist worksteal -m "$$part" $(PYTEST_ARGS); \
		rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "make test: pytest -m '$$part' collected no tests — failing" >&2; fi; \
		if [ $$rc -ne 0 ]; then failed=1; fi; \
	done; \
	exit $$failed

requirements: venv
	$(VENV)/bin/uv pip compile -q requirements/base.in -o requirements/base.txt \
		--python-version 3.11 --generate-hashes
	$(VENV)/bin/uv pip compile -q requirements/base.in requirements/dev.in -c requirements/base.txt \
		-o requirements/dev.txt --python-version 3.11 --generate-hashes

clean:
	rm -rf staticfiles test-artifacts .mypy_cache .ruff_cache
	find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +

# --- seed: benches on a generated province (issue 14) ---
# `make bench` generates (once per size) a province in $(BENCH_DATABASE_URL) with
# `manage.py seed_province`, runs every bench of bench/run_all.py on it and writes bench/RESULTS.md.
# BENCH_STUDENTS sets the size (about 10 minutes in all on 2 cores); BENCH_FULL=1 is the whole
# province (6.5 M students).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/mhcare_bench
BENCH_STUDENTS ?= 300000
.PHONY: bench
bench: venv
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(VPY) bench/run_all.py \
		$(if $(BENCH_FULL),--full,--students $(BENCH_STUDENTS))
