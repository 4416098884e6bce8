#!/usr/bin/env bash
# The worker's venv from the wheels stage's /wheels, offline (--no-index), for the
# runtime stage and the benchmark's one-stage variant. pip runs from its own wheel
# and installs itself (pinned) with the rest; then the packages installed without
# their dependencies (requirements-nodeps.lock). `pip check` must report exactly
# the recorded conflicts (pip-check.expected, explained in docker/README.md).
# Usage: install-venv.sh WHEEL_DIR VENV EXPECTED_PIP_CHECK
set -euo pipefail

usage="usage: install-venv.sh WHEEL_DIR VENV EXPECTED_PIP_CHECK"
wheels=${1:?$usage}
venv=${2:?$usage}
expected=${3:?$usage}
python3 -m venv --without-pip "$venv"
pip_wheel=$(echo "$wheels"/pip-*.whl)
"$venv/bin/python" "$pip_wheel/pip" install --no-index --find-links "$wheels" \
  -r "$wheels/requirements.txt"
# (a release may install nothing without its dependencies: the list is then empty)
if [ -s "$wheels/requirements-nodeps.txt" ]; then
  "$venv/bin/pip" install --no-index --no-deps --find-links "$wheels" \
    -r "$wheels/requirements-nodeps.txt"
fi
status=0
found=$("$venv/bin/pip" check) || status=$?
want=$(sed '/^#/d' "$expected")  # (a release may expect nothing)
# pip check exits 1 exactly when it reports something, which must be the record;
# with nothing recorded it must exit 0 (its "No broken requirements found.")
if { [ -n "$want" ] && { [ "$found" != "$want" ] || [ "$status" -ne 1 ]; }; } \
   || { [ -z "$want" ] && [ "$status" -ne 0 ]; }; then
  echo "install-venv.sh: pip check found something other than the recorded conflicts:" >&2
  echo "$found" >&2
  exit 1
fi
