#!/usr/bin/env bash
# The first command: install everything (pinned), build the index, train Rasa if needed, start it all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export HF_HUB_OFFLINE=1 RASA_TELEMETRY_ENABLED=false
export FAQBOT_RASA_BIN=${FAQBOT_RASA_BIN:-$(pwd)/.venv-rasa/bin/rasa}
# A local agent account so the console can be tried at once; set your own (or "" to skip) in production.
export FAQBOT_BOOTSTRAP_AGENT=${FAQBOT_BOOTSTRAP_AGENT-agent:agent}
exec .venv/bin/faqbot up "$@"
