#!/usr/bin/env bash
# Prepare this checkout: Debian packages, a virtual environment, Python packages.
#   scripts/setup.sh run    what the command center needs
#   scripts/setup.sh test   that, plus the test tools, Debian's Chromium, PostgreSQL and Mosquitto
# Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

# Debian's Python 3.11 (not a pyenv one): later capabilities import GStreamer's
# `gi`, which only Debian's interpreter has, through --system-site-packages.
python=/usr/bin/python3
[ -x "$python" ] || python=$(command -v python3)
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "Python 3.11 or newer is needed; found $("$python" --version 2>&1)." >&2; exit 1; }

missing=()
"$python" -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
# The cameras: GStreamer's RTSP server and its Python bindings for the simulated cameras
# (streams/cameras/sim/), its encoders (x264, x265, JPEG: plugins good/bad/ugly), cairo
# painting from Python (python3-gi-cairo); libav and x for GStreamer's decoders and text overlays.
# The reports' PDFs embed DejaVu Sans (fonts-dejavu-core).
for package in gir1.2-gst-rtsp-server-1.0 python3-gst-1.0 python3-gi python3-gi-cairo \
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad \
    gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-x fonts-dejavu-core; do
  [ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" = "install ok installed" ] || missing+=("$package")
done
if [ "$mode" = test ]; then
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  # The WebRTC tests make their own network namespace with a veth pair (ip, unshare).
  command -v ip >/dev/null || missing+=(iproute2)
  command -v unshare >/dev/null || missing+=(util-linux)
  # The tests start their own throwaway PostgreSQL cluster and Mosquitto brokers
  # (tests/support/services.py); they need the server binaries, not running services.
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  [ -x /usr/sbin/mosquitto ] || missing+=(mosquitto)
  [ -x /usr/bin/mosquitto_pub ] || missing+=(mosquitto-clients)
  # The reports' browser test renders a PDF's first page to PNG with pdftoppm.
  command -v pdftoppm >/dev/null || missing+=(poppler-utils)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    echo "Installing Debian packages: ${missing[*]}"
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing Debian packages: ${missing[*]}" >&2
    echo "Install them as root, then run this again:  sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtual environment in .venv"
  "$python" -m venv --system-site-packages .venv
fi

extra=""
[ "$mode" = test ] && extra="[test]"
stamp=".venv/.installed-${mode}"
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Installing Python packages (first time takes a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".${extra}"
  echo "$want" > "$stamp"
fi
