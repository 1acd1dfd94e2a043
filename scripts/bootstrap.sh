#!/usr/bin/env bash
# Install what gridpatrol needs and is missing: Debian packages, the virtualenv with the
# project, the npm front-end assets, compiled translations and the instance secret.
# Idempotent: a second run checks and returns within seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting osm2pgsql chromium
                 fonts-noto-cjk nodejs npm python3-venv)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
    case "$pkg" in
        nodejs) command -v node >/dev/null 2>&1 && continue ;;
        npm) command -v npm >/dev/null 2>&1 && continue ;;
        python3-venv) python3 -c 'import venv, ensurepip' >/dev/null 2>&1 && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

mkdir -p .stamps instance
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
if [ ! -f .stamps/venv ] || [ pyproject.toml -nt .stamps/venv ]; then
    echo "installing Python packages into .venv"
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e '.[dev]'
    touch .stamps/venv
fi

if [ ! -f .stamps/npm ] || [ package.json -nt .stamps/npm ] || [ ! -d node_modules ]; then
    echo "installing front-end packages from the npm registry"
    npm ci --no-audit --no-fund --loglevel=error
    touch .stamps/npm
fi

shopt -s nullglob
for po in app/translations/*/LC_MESSAGES/messages.po; do
    mo="${po%.po}.mo"
    if [ ! -f "$mo" ] || [ "$po" -nt "$mo" ]; then
        .venv/bin/pybabel compile -i "$po" -o "$mo" >/dev/null
    fi
done

if [ ! -f instance/secret_key ]; then
    (umask 077; .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))' \
        > instance/secret_key)
fi
