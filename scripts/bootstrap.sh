#!/usr/bin/env bash
# Install what gridpatrol needs and is missing: Debian packages, the virtualenv with the
# project, the npm front-end assets, compiled translations and the instance secret.
# Idempotent: a second run checks and returns within seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(postgresql-15 postgresql-15-postgis-3 postgresql-15-pgrouting osm2pgsql chromium
                 fonts-noto-cjk nodejs npm python3-venv acl mosquitto mosquitto-clients
                 gpsd-clients gpsd gpsd-tools ffmpeg gir1.2-gst-rtsp-server-1.0
                 python3-gst-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
                 gstreamer1.0-plugins-bad)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
    case "$pkg" in
        nodejs) command -v node >/dev/null 2>&1 && continue ;;
        npm) command -v npm >/dev/null 2>&1 && continue ;;
        python3-venv) /usr/bin/python3 -c 'import venv, ensurepip' >/dev/null 2>&1 && continue ;;
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

# The system user the servers run as when `gridpatrol serve` is started as root: no login
# shell, no home, in the postgres group to reach the embedded cluster's socket.
if ! id -u gridpatrol >/dev/null 2>&1; then
    echo "creating the system user gridpatrol (the servers run as it when started as root)"
    as_root useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin --comment "gridpatrol server" gridpatrol
fi
if getent group postgres >/dev/null && ! id -nG gridpatrol | tr ' ' '\n' | grep -qx postgres; then
    as_root usermod -a -G postgres gridpatrol
fi

# Started as root, the servers run as gridpatrol: it needs to pass through the folders
# above the checkout. Where one is closed to others (a checkout under /root), gridpatrol
# alone is let through (an ACL entry, traverse only: it cannot list or read the folder).
if [ "$(id -u)" -eq 0 ]; then
    folder="$(pwd -P)"
    while [ "$folder" != "/" ]; do
        folder="$(dirname "$folder")"
        if ! runuser -u gridpatrol -- test -x "$folder" 2>/dev/null; then
            echo "letting the gridpatrol user pass through $folder (setfacl u:gridpatrol:x)"
            setfacl -m u:gridpatrol:x "$folder"
        fi
    done
fi

mkdir -p .stamps instance
if [ ! -x .venv/bin/python ]; then
    # As root, from Debian's python3: the servers run as the gridpatrol user, which must be
    # able to run the interpreter (one under /root, such as pyenv's, is closed to it).
    if [ "$(id -u)" -eq 0 ] && [ -x /usr/bin/python3 ]; then
        /usr/bin/python3 -m venv .venv
    else
        python3 -m venv .venv
    fi
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

# the web font of the map's Chinese labels: a subset of fonts-noto-cjk, served locally
.venv/bin/python -m app.maps.label_font >/dev/null

if [ ! -f instance/secret_key ]; then
    (umask 077; .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))' \
        > instance/secret_key)
fi
