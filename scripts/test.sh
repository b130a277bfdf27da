#!/usr/bin/env bash
# The second command: install what the tests need, then run the whole test suite.
# Extra arguments go to pytest (e.g. scripts/test.sh -m "not browser").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh --with-tests
export HF_HUB_OFFLINE=1 RASA_TELEMETRY_ENABLED=false TOKENIZERS_PARALLELISM=false
export FAQBOT_RASA_BIN=${FAQBOT_RASA_BIN:-$(pwd)/.venv-rasa/bin/rasa}
exec .venv/bin/python -m pytest "$@"
