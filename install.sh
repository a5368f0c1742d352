#!/usr/bin/env bash
# Installs coach into ./.venv, with the Debian packages it and its tests use:
#   ffmpeg (video tools), espeak-ng (voice, nb + en), xvfb + xdotool (windows headless),
#   chromium (report/workbench browser tests), fonts-dejavu-core, imagemagick (screenshots),
#   hunspell + hunspell-no (the test that spell-checks every Norwegian text).
# Usage: ./install.sh            (asks sudo for apt-get when not root)
#        SKIP_APT=1 ./install.sh (only the Python part)
set -euo pipefail
cd "$(dirname "$0")"

APT_PACKAGES="ffmpeg espeak-ng xvfb xauth xdotool x11-utils chromium fonts-dejavu-core imagemagick hunspell hunspell-no"
if [ "${SKIP_APT:-0}" != "1" ] && command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends $APT_PACKAGES >/dev/null
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "coach needs Python >= 3.11")'
[ -d .venv ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
.venv/bin/python -m pip check
echo "coach installed: .venv/bin/coach --help"
