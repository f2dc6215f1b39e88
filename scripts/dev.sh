#!/usr/bin/env bash
# Playground developer entry point for Debian/Ubuntu with Python 3.11+.
#
#   bash scripts/dev.sh run      install what is missing, then start the app
#   bash scripts/dev.sh test     install what is missing, then run ruff, mypy and pytest
#   bash scripts/dev.sh dist     install what is missing, then build the app (build.spec) and its archive
#   bash scripts/dev.sh frozen-test   self-test the built app in dist/ (after dist)
#
# System packages are installed with apt-get (through sudo when not root) only when missing.
# Python packages go into .venv (override with PLAYGROUND_VENV); PYTHON picks the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${PLAYGROUND_VENV:-.venv}
PY=${PYTHON:-python3}

# Qt's xcb platform plugin and QtMultimedia link against these (offscreen needs only a few of them).
QT_PACKAGES="libegl1 libgl1 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libx11-6 libx11-xcb1
  libxkbcommon0 libxkbcommon-x11-0 libxcb1 libxcb-cursor0 libxcb-glx0 libxcb-icccm4 libxcb-image0
  libxcb-keysyms1 libxcb-randr0 libxcb-render0 libxcb-render-util0 libxcb-shape0 libxcb-shm0 libxcb-sync1
  libxcb-util1 libxcb-xfixes0 libxcb-xkb1 libpulse0 fonts-dejavu-core"
# A real Secret Service for the keyring tests; a virtual speaker and microphone for the audio tests.
TEST_PACKAGES="gnome-keyring dbus dbus-x11 pulseaudio"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

install_system() {
    command -v dpkg-query >/dev/null 2>&1 || { log "not a Debian system: skipping system packages"; return 0; }
    local missing=""
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
    done
    if ! "$PY" -c "import ensurepip, venv" >/dev/null 2>&1; then
        missing="$missing python3-venv"
    fi
    [ -z "$missing" ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    log "installing system packages:$missing"
    $sudo apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

ensure_venv() {
    local extras=$1
    "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
        echo "Playground needs Python 3.11 or newer (found $("$PY" --version 2>&1))." >&2
        exit 1
    }
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating $VENV"
        "$PY" -m venv "$VENV"
    fi
    log "installing Python packages into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -U pip
    local target="."
    [ -n "$extras" ] && target=".[$extras]"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$target"
}

run_tests() {
    local bin="$VENV/bin"
    log "ruff"
    "$bin/ruff" check .
    "$bin/ruff" format --check .
    log "mypy"
    "$bin/mypy"
    log "pytest"
    run_pytest "$@"
}

run_pytest() {
    local bin="$VENV/bin"
    export QT_QPA_PLATFORM=offscreen
    if command -v dbus-run-session >/dev/null 2>&1 && command -v gnome-keyring-daemon >/dev/null 2>&1; then
        # A private D-Bus session with an unlocked GNOME Keyring gives the keyring tests a real Secret
        # Service; a throw-away HOME keeps its files away from the user's own keyrings.
        keyring_home=$(mktemp -d)
        trap 'rm -rf "$keyring_home"' EXIT
        HOME="$keyring_home" PLAYGROUND_REQUIRE_KEYRING=1 PLAYGROUND_REQUIRE_AUDIO=1 dbus-run-session -- sh -c '
            printf "playground-tests" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
            exec "$@"' sh "$bin/python" -m pytest "$@"
        return
    fi
    log "no dbus-run-session/gnome-keyring: the real-keyring tests will be skipped"
    "$bin/python" -m pytest "$@"
}

cmd=${1:-run}
shift || true
case "$cmd" in
    run)
        install_system $QT_PACKAGES
        ensure_venv ""
        exec "$VENV/bin/python" -m playground "$@"
        ;;
    test)
        install_system $QT_PACKAGES $TEST_PACKAGES
        ensure_venv test
        run_tests "$@"
        ;;
    dist)
        install_system $QT_PACKAGES binutils
        ensure_venv dev
        "$VENV/bin/python" scripts/package.py "$@"
        ;;
    frozen-test)
        install_system $QT_PACKAGES $TEST_PACKAGES
        ensure_venv test
        log "self-testing the frozen app in dist/playground"
        PLAYGROUND_FROZEN_APP="$PWD/dist/playground/playground" run_pytest -m frozen tests/test_frozen.py "$@"
        ;;
    *)
        echo "usage: bash scripts/dev.sh run|test|dist|frozen-test" >&2
        exit 2
        ;;
esac
