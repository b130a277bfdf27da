"""Rasa's own check of the training data, run with the real Rasa installation."""

import subprocess

from faqbot.launcher import default_rasa_bin, rasa_env
from faqbot.settings import REPO_ROOT


def test_rasa_data_validate_passes():
    result = subprocess.run(
        [str(default_rasa_bin()), "data", "validate", "--config", "config.yml", "--domain", "bot/domain.yml",
         "--data", "bot/data"],
        cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
