#!/usr/bin/env bash
# Shared setup steps for `make run` and `make test`.
#
#   scripts/setup.sh venv       .venv with the pinned requirements (uv, falling back to pip);
#                               skipped when a stamp keyed on the requirements' hash says it is current
#   scripts/setup.sh sysdeps    Debian packages the tests need (installed only when root and missing)
#   scripts/setup.sh messages   compile locale/*.po when there are any (needs gettext's msgfmt)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV="${VENV:-.venv}"
REQUIREMENTS="${REQUIREMENTS:-requirements/dev.txt}"
SYSTEM_PACKAGES=(chromium fonts-noto-cjk libharfbuzz-subset0 poppler-utils gettext docker-compose)

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf '\033[33m!!  %s\033[0m\n' "$*" >&2; }

apt_updated=0
apt_install() {
    # Install Debian packages when we are root and they are missing; otherwise explain and go on.
    local missing=()
    local pkg
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        warn "missing Debian packages: ${missing[*]} (run: sudo apt-get install --no-install-recommends ${missing[*]})"
        return 1
    fi
    say "apt-get install ${missing[*]}"
    if [ "$apt_updated" -eq 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

cmd_venv() {
    local vpy="$VENV/bin/python"
    if [ -x "$vpy" ] && ! "$vpy" -c 'import sys' >/dev/null 2>&1; then
        warn "$VENV is broken (its interpreter does not start); recreating it"
        rm -rf "$VENV"
    fi
    if [ ! -x "$vpy" ]; then
        say "creating $VENV with $($PYTHON --version 2>&1)"
        "$PYTHON" -m venv "$VENV"
    fi
    local key stamp
    key="$( (cat "$REQUIREMENTS"; "$vpy" -c 'import sys; print(sys.version)') | sha256sum | cut -c1-16)"
    stamp="$VENV/.requirements-$key"
    if [ -f "$stamp" ]; then
        return 0
    fi
    say "installing $REQUIREMENTS into $VENV"
    local uv_pin
    uv_pin="$(grep -E '^uv==' "$REQUIREMENTS" | cut -d' ' -f1 || true)"
    if [ ! -x "$VENV/bin/uv" ]; then
        "$vpy" -m pip install -q "${uv_pin:-uv}" || warn "could not install uv; using pip"
    fi
    # suite: --compile-bytecode (as pip does by default): with PYTHONDONTWRITEBYTECODE set, as on
    # many CI machines, every Python process (each test run, Celery worker, `make run`) would
    # otherwise compile Django and the rest from source again.
    if [ -x "$VENV/bin/uv" ] \
        && "$VENV/bin/uv" pip install -q --compile-bytecode --python "$vpy" -r "$REQUIREMENTS"; then
        :
    else
        warn "uv failed or is missing; installing with pip (slower)"
        "$vpy" -m pip install -q -r "$REQUIREMENTS"
    fi
    rm -f "$VENV"/.requirements-*
    touch "$stamp"
}

cmd_sysdeps() {
    if ! command -v dpkg >/dev/null 2>&1; then
        warn "not a Debian system: install ${SYSTEM_PACKAGES[*]} (or their equivalents) yourself"
        return 0
    fi
    apt_install "${SYSTEM_PACKAGES[@]}" || warn "some tests will fail without those packages"
}

cmd_messages() {
    if ! find locale -name '*.po' -print -quit 2>/dev/null | grep -q .; then
        return 0
    fi
    if ! command -v msgfmt >/dev/null 2>&1; then
        if command -v dpkg >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
            apt_install gettext
        else
            warn "msgfmt (Debian package gettext) is missing: skipping compilemessages;"
            warn "the UI falls back to the English source strings until it is installed"
            return 0
        fi
    fi
    say "compiling translations"
    DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-mhcare.settings.local}" \
        "$VENV/bin/python" manage.py compilemessages -v 0 \
        --ignore=.venv --ignore='.venv/*' --ignore=.data --ignore='.data/*' \
        --ignore=node_modules --ignore=staticfiles
}

case "${1:-}" in
    venv) cmd_venv ;;
    sysdeps) cmd_sysdeps ;;
    messages) cmd_messages ;;
    *)
        echo "usage: $0 venv|sysdeps|messages" >&2
        exit 2
        ;;
esac
