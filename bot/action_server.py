"""The standalone action server (`python -m bot.action_server`): rasa_sdk's, with the action token required.

rasa_sdk's own `python -m rasa_sdk` answers anyone on every interface with CORS open to all origins; its
actions can hand a conversation off. This one listens on 127.0.0.1 unless told otherwise, sends no CORS
headers and refuses every call without `?token=` equal to FAQBOT_ACTION_TOKEN (the token Rasa's
`bot/endpoints.yml` sends), the same rule as the web service's in-process action endpoint.
"""

from __future__ import annotations

import argparse
import hmac
import os
import sys

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

OPEN_PATHS = ("/health",)


def token_matches(given: str | None, expected: str) -> bool:
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def protected_app(token: str, actions: str = "bot.actions") -> Sanic:
    app = create_app(actions, cors_origins=None)

    @app.middleware("request")
    async def require_the_action_token(request: Request) -> HTTPResponse | None:
        if request.path in OPEN_PATHS or token_matches(request.args.get("token"), token):
            return None
        return response.json({"error": {"code": "not_authenticated", "message": "wrong or missing action token"}},
                             status=401)

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.action_server")
    parser.add_argument("--host", default=os.environ.get("FAQBOT_ACTIONS_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=5055)
    args = parser.parse_args(argv)
    token = os.environ.get("FAQBOT_ACTION_TOKEN", "")
    if not token:
        sys.exit("FAQBOT_ACTION_TOKEN is not set: the action server would run actions for anyone")
    protected_app(token).run(args.host, args.port, workers=1, access_log=False)


if __name__ == "__main__":
    main()
