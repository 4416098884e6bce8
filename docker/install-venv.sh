#!/usr/bin/env bash
# The worker's venv from the wheels stage's /wheels, offline (--no-index), for the
# runtime stage and the benchmark's one-stage variant. pip runs from its own wheel
# and installs itself (pinned) with the rest; `pip check` must be clean.
# Usage: install-venv.sh WHEEL_DIR VENV
set -euo pipefail

wheels=${1:?usage: install-venv.sh WHEEL_DIR VENV}
venv=${2:?usage: install-venv.sh WHEEL_DIR VENV}
python3 -m venv --without-pip "$venv"
pip_wheel=$(echo "$wheels"/pip-*.whl)
"$venv/bin/python" "$pip_wheel/pip" install --no-index --find-links "$wheels" \
  -r "$wheels/requirements.txt"
"$venv/bin/pip" check
