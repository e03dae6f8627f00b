#!/usr/bin/env bash
# Put a Pyodide (xlwings Lite's runtime) with pydantic's WebAssembly wheels where the Excel tests find it.
#
#   bash .ci/pyodide.sh [DIR]     # default DIR: build/pyodide (git-ignored); idempotent
#
# Everything comes from the package registries CI reaches: the npm package `pyodide` (the runtime;
# it does not carry Pyodide's CDN packages) and, from PyPI, pydantic with pydantic-core's wheel for
# Pyodide's ABI (pyemscripten_2026_0_wasm32, Python 3.14: the ABI of Pyodide 314.x, see
# node_modules/pyodide/pyodide-lock.json "info") plus micropip (to install the project's own wheel,
# as xlwings Lite's requirements.txt does). Versions are pinned together: pydantic 2.14.4 requires
# pydantic-core 2.50.5, the newest with a pyemscripten wheel on PyPI when this was written.
# Progress goes to stderr; the last stdout line is DIR.
set -euo pipefail

PYODIDE_VERSION="314.0.8"
PYDANTIC_VERSION="2.14.4"
MICROPIP_VERSION="0.11.1"
PLATFORM="pyemscripten_2026_0_wasm32"
PY_VERSION="3.14"

DIR="${1:-build/pyodide}"
PYTHON="${PYTHON:-python3}"
log() { echo "pyodide.sh: $*" >&2; }
mkdir -p "$DIR/wheels"
DIR="$(cd "$DIR" && pwd)"

stamp="$PYODIDE_VERSION $PYDANTIC_VERSION $MICROPIP_VERSION $PLATFORM"
if [ -f "$DIR/stamp" ] && [ "$(cat "$DIR/stamp")" = "$stamp" ] && [ -f "$DIR/node_modules/pyodide/pyodide.mjs" ]; then
  log "up to date ($stamp)"
  echo "$DIR"
  exit 0
fi

command -v node >/dev/null || { log "node is needed (apt-get install nodejs npm)"; exit 1; }
log "npm install pyodide@$PYODIDE_VERSION"
(cd "$DIR" && [ -f package.json ] || echo '{"private": true}' > package.json)
npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error "pyodide@$PYODIDE_VERSION" >&2

log "pip download pydantic==$PYDANTIC_VERSION for $PLATFORM (Python $PY_VERSION) and micropip==$MICROPIP_VERSION"
rm -f "$DIR"/wheels/*.whl
"$PYTHON" -m pip download --disable-pip-version-check -q --only-binary=:all: --platform "$PLATFORM" \
  --python-version "$PY_VERSION" --implementation cp -d "$DIR/wheels" "pydantic==$PYDANTIC_VERSION" >&2
"$PYTHON" -m pip download --disable-pip-version-check -q --only-binary=:all: --python-version "$PY_VERSION" \
  --no-deps -d "$DIR/wheels" "micropip==$MICROPIP_VERSION" >&2
ls "$DIR"/wheels/pydantic_core-*-"$PLATFORM".whl >/dev/null || { log "no pydantic-core wheel for $PLATFORM"; exit 1; }
echo "$stamp" > "$DIR/stamp"
log "ready in $DIR"
echo "$DIR"
