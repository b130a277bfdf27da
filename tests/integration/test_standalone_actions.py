"""The custom actions also run under a standalone action server (rasa_sdk's, with the action token required)."""

import os
import subprocess
import sys

import httpx

from faqbot.launcher import free_port, wait_until
from faqbot.settings import REPO_ROOT


def test_actions_run_under_the_rasa_sdk_server(tmp_path):
    port = free_port()
    env = {**os.environ, "FAQBOT_DATA_DIR": str(tmp_path), "HF_HUB_OFFLINE": "1", "FAQBOT_ACTION_TOKEN": "tok-123"}
    server = subprocess.Popen([sys.executable, "-m", "bot.action_server", "--port", str(port)],
                              cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until(lambda: httpx.get(f"{url}/health", timeout=2).status_code == 200, 120, "rasa_sdk", server)
        assert httpx.get(f"{url}/actions").status_code == 401  # issue 13: the token is required in every mode
        names = {a["name"] for a in httpx.get(f"{url}/actions", params={"token": "tok-123"}).json()}
        assert names == {"action_answer_from_kb", "action_handoff", "action_decline_handoff",
                         "action_reject_answer", "action_record_feedback", "action_acknowledge_complaint",
                         "action_fallback", "action_welcome_back", "action_thank_for_rating"}
        call = {"next_action": "action_answer_from_kb", "sender_id": "s1", "version": "3.6.21", "domain": {},
                "tracker": {"sender_id": "s1", "slots": {}, "paused": False, "events": [],
                            "latest_message": {"text": "我的退款多久能到账？", "intent": {"name": "ask_question"}},
                            "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"}}
        for token in (None, "wrong", "t\u00e9"):
            refused = httpx.post(f"{url}/webhook", json=call, params={"token": token} if token else None)
            assert refused.status_code == 401 and "access-control-allow-origin" not in refused.headers
        result = httpx.post(f"{url}/webhook", json=call, params={"token": "tok-123"}, timeout=60).json()
        assert result["responses"][0]["custom"]["article_id"] == "refund-timing-zh"
        # a handoff is decided, not made, by the action: the web service acts on the typed payload
        call = {**call, "next_action": "action_handoff"}
        call["tracker"] = {**call["tracker"], "latest_message": {"text": "转人工", "intent": {"name": "request_human"}}}
        handed = httpx.post(f"{url}/webhook", json=call, params={"token": "tok-123"}, timeout=60).json()
        assert {"event": "pause", "timestamp": None} in handed["events"]
        assert handed["responses"][0]["custom"]["turn"]["handoff"]["reason"] == "customer_request"
    finally:
        server.terminate()
        server.wait(timeout=60)  # the SDK's server stops gracefully; at load 10+ that took over 20 s
