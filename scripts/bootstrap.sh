#!/usr/bin/env bash
# Creates the two Python environments from the pinned lists (only when the lists changed):
#   .venv       Python 3.11: the web service, knowledge base, embeddings, custom actions, test tools
#   .venv-rasa  Python 3.10: the Rasa 3.6 server (its pins clash with FastAPI and sentence-transformers)
# and builds the front end (frontend/, npm ci when the lockfile changed, npm run build when frontend/ changed)
# into faqbot/static/dist/, which the service serves.
# Usage: scripts/bootstrap.sh [--with-tests]   (--with-tests also installs Debian's chromium)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WITH_TESTS=${1:-}
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 RASA_TELEMETRY_ENABLED=false

log() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }
# pip, without the noise of find-links folders this machine's pip.conf names but does not have
pip_in() { local venv=$1; shift; "$venv/bin/pip" "$@" 2> >(grep -v "^WARNING: Location" >&2); }

# A Python of exactly version $1 (e.g. 3.10), from PATH or pyenv.
find_python() {
  local want=$1 candidate
  local candidates=("python$want")
  for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin /usr/local/bin /usr/bin; do
    candidates+=("$dir/python$want")
  done
  for candidate in "${candidates[@]}"; do
    if "$candidate" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$want' else 1)" 2>/dev/null; then
      command -v "$candidate" || echo "$candidate"
      return 0
    fi
  done
  return 1
}

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

make_venv() {  # make_venv DIR PYTHON STAMP -> 0 if it must be (re)installed
  local dir=$1 python=$2 stamp=$3
  if [[ -f "$dir/.installed-$stamp" ]]; then return 1; fi
  rm -rf "$dir"
  "$python" -m venv "$dir"
  pip_in "$dir" install -q --upgrade "pip==24.2"
  return 0
}

# --- web service environment --------------------------------------------------------------------
PY311=$(find_python 3.11) || { echo "Python 3.11 is required for the web service" >&2; exit 1; }
stamp=$(stamp_of requirements/service.txt requirements/rasa-sdk.txt requirements/test.txt pyproject.toml)
if make_venv .venv "$PY311" "$stamp"; then
  log "installing the web service environment (.venv, $("$PY311" --version))"
  start=$SECONDS
  pip_in .venv install -q --no-deps -r requirements/service.txt
  pip_in .venv install -q --no-deps --ignore-requires-python -r requirements/rasa-sdk.txt
  pip_in .venv install -q --no-deps -r requirements/test.txt
  pip_in .venv install -q --no-deps --no-build-isolation -e .
  touch ".venv/.installed-$stamp"
  log "web service environment ready in $((SECONDS - start)) s"
fi

# --- Rasa environment ---------------------------------------------------------------------------
if PY310=$(find_python 3.10); then
  RASA_LIST=requirements/rasa.txt; RASA_FLAGS=(--no-deps)
else
  log "no Python 3.10 found: using the Python 3.11 fallback list for Rasa"
  PY310=$PY311; RASA_LIST=requirements/rasa-py311.txt; RASA_FLAGS=(--no-deps --ignore-requires-python)
fi
stamp=$(stamp_of "$RASA_LIST")
if make_venv .venv-rasa "$PY310" "$stamp"; then
  log "installing the Rasa environment (.venv-rasa, $("$PY310" --version))"
  start=$SECONDS
  pip_in .venv-rasa install -q "${RASA_FLAGS[@]}" -r "$RASA_LIST"
  touch ".venv-rasa/.installed-$stamp"
  log "Rasa environment ready in $((SECONDS - start)) s"
fi

# --- front end (widget, widget loader, back office) --------------------------------------------------
if ! command -v npm >/dev/null 2>&1; then
  log "installing Node.js and npm (Debian) to build the front end"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
stamp=$(stamp_of frontend/package-lock.json)
if [[ ! -f "frontend/node_modules/.installed-$stamp" ]]; then
  log "installing the front end's packages (npm ci, pinned by frontend/package-lock.json)"
  (cd frontend && npm ci --no-audit --no-fund --loglevel=error)
  touch "frontend/node_modules/.installed-$stamp"
fi
# every file of frontend/ except node_modules decides whether the build is current
stamp=$(cd frontend && find . -path ./node_modules -prune -o -type f -print | LC_ALL=C sort | xargs sha256sum \
        | sha256sum | cut -c1-16)
if [[ ! -f "faqbot/static/dist/.built-$stamp" ]]; then
  log "building the front end into faqbot/static/dist/"
  (cd frontend && npm run --silent build >/dev/null)
  touch "faqbot/static/dist/.built-$stamp"
fi

# --- browser for the UI tests, nginx for the fleet tests -----------------------------------------
# (CJK and emoji fonts too, so screenshots of Chinese conversations and 👍/👎 are readable; nginx is the load
# balancer the tests of several service processes put in front of them, started on a free port by the tests)
if [[ "$WITH_TESTS" == "--with-tests" ]] && { [[ ! -x /usr/bin/chromium ]] || ! fc-list 2>/dev/null | grep -i wqy >/dev/null \
    || ! fc-list 2>/dev/null | grep -i "color emoji" >/dev/null || [[ ! -x /usr/sbin/nginx ]]; }; then
  log "installing Debian's chromium, a CJK font, an emoji font and nginx for the tests"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei fonts-noto-color-emoji \
    nginx >/dev/null
fi
