"""`rasa run` with the JWT secret taken from the environment instead of the command line.

A process's command line is readable by every local user (`ps`, /proc/PID/cmdline); its environment is
not. The launcher runs Rasa (`python -m bot.rasa_runtime run …`) with FAQBOT_RASA_JWT_SECRET set, and
`with_jwt_secret_from_environment` adds `--jwt-secret` to Rasa's own arguments in-process. Runs in Rasa's
Python environment.
"""

from __future__ import annotations

import os
import sys


def with_jwt_secret_from_environment() -> None:
    """For `rasa run`: add the JWT secret to sys.argv (exit if there is none: the API would be open)."""
    if len(sys.argv) < 2 or sys.argv[1] != "run":
        return
    secret = os.environ.get("FAQBOT_RASA_JWT_SECRET", "")
    if not secret:
        sys.exit("FAQBOT_RASA_JWT_SECRET is not set: Rasa's HTTP API would be open to anyone")
    # `--jwt-secret=…` in one argument: a secret starting with '-' would otherwise read as an option
    sys.argv = [sys.argv[0], *sys.argv[1:], f"--jwt-secret={secret}", "--jwt-method=HS256"]


def main() -> None:
    with_jwt_secret_from_environment()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
