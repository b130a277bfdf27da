"""`rasa run` with the JWT secret taken from the environment instead of the command line.

A process's command line is readable by every local user (`ps`, /proc/PID/cmdline); its environment is
not. The launcher runs `python -m bot.rasa_server run …` with FAQBOT_RASA_JWT_SECRET set, and this adds
`--jwt-secret` to Rasa's own arguments in-process. Runs in Rasa's Python environment.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    secret = os.environ.get("FAQBOT_RASA_JWT_SECRET", "")
    if not secret:
        sys.exit("FAQBOT_RASA_JWT_SECRET is not set: Rasa's HTTP API would be open to anyone")
    # `--jwt-secret=…` in one argument: a secret starting with '-' would otherwise read as an option
    sys.argv = ["rasa", *sys.argv[1:], f"--jwt-secret={secret}", "--jwt-method=HS256"]
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
