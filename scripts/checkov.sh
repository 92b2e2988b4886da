#!/usr/bin/env bash
# checkov in its own virtualenv (.venv-checkov, created on first use), then run it.
# It must not share a venv with python-hcl2: checkov's fork bc-python-hcl2 installs into the same
# hcl2/ package directory and each breaks the other.
#
#   scripts/checkov.sh              # scan terraform/ offline, human-readable
#   scripts/checkov.sh --setup      # only create or refresh the venv
#   scripts/checkov.sh ARGS...      # run checkov --skip-download ARGS (e.g. -d terraform -o json)
set -euo pipefail
cd "$(dirname "$0")/.."

CHECKOV_VERSION=3.3.30
VENV=${CHECKOV_VENV:-.venv-checkov}
STAMP="$VENV/.checkov-$CHECKOV_VERSION"
PYTHON=${PYTHON:-python3}

if [ ! -f "$STAMP" ]; then
    echo "checkov.sh: installing checkov==$CHECKOV_VERSION into $VENV (one-time, ~30-60 s)" >&2
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "checkov==$CHECKOV_VERSION" >&2
    touch "$STAMP"
fi

if [ "${1:-}" = "--setup" ]; then
    exit 0
fi
if [ $# -eq 0 ]; then
    set -- -d terraform --framework terraform --compact
fi
# --skip-download: no policy or guideline downloads, so it runs offline.
exec "$VENV/bin/checkov" --skip-download "$@"
