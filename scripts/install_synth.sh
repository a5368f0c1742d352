#!/usr/bin/env bash
# Adds the synthetic studio's renderer to a coach environment (default ./.venv-synth):
#   torch 2.13.0 (CPU wheel), anny, pyrender 0.1.45 (without its PyOpenGL 3.1.0 pin),
#   PyOpenGL 3.1.7, imageio-ffmpeg; Debian libosmesa6 for offscreen OpenGL.
# The runtime coach never needs any of this.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv-synth}"
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo"
  $SUDO apt-get install -y -qq --no-install-recommends libosmesa6 >/dev/null
fi
[ -d "$VENV" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q -e ".[synth]"
"$VENV/bin/python" -m pip install -q --no-deps pyrender==0.1.45
echo "renderer ready: PYOPENGL_PLATFORM=osmesa $VENV/bin/python -m coach.synth --help"
