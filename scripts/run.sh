#!/usr/bin/env bash
# The first command: install everything (pinned), build the index, train Rasa if needed, start it all.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export HF_HUB_OFFLINE=1 RASA_TELEMETRY_ENABLED=false
export FAQBOT_RASA_BIN=${FAQBOT_RASA_BIN:-$(pwd)/.venv-rasa/bin/rasa}
# LOCAL DEVELOPMENT ONLY: an admin account so the console can be tried at once, with a random password made
# on the first run and kept (owner-only) in var/dev-admin-password. Nothing else creates a default account:
# in production set FAQBOT_BOOTSTRAP_AGENT="" (or your own user:password) and use `faqbot agent create`.
if [[ -z "${FAQBOT_BOOTSTRAP_AGENT+set}" ]]; then
  (umask 077 && mkdir -p var && { [[ -s var/dev-admin-password ]] \
    || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(12))' > var/dev-admin-password; })
  export FAQBOT_BOOTSTRAP_AGENT="admin:$(cat var/dev-admin-password)"
  printf '\n\033[1;33m%s\n%s\n%s\033[0m\n\n' \
    "!!! LOCAL DEVELOPMENT: run.sh makes an admin account: user 'admin', password '$(cat var/dev-admin-password)'" \
    "!!! (kept in var/dev-admin-password). Do not expose this to the internet with it: set" \
    "!!! FAQBOT_BOOTSTRAP_AGENT=\"\" and create real accounts with '.venv/bin/faqbot agent create'."
fi
.venv/bin/faqbot models export >/dev/null  # the encoders' ONNX exports (seconds once made): the service needs no PyTorch
exec .venv/bin/faqbot up "$@"
