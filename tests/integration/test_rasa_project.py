"""Rasa's own check of the training data, run with the real Rasa installation."""

import json
import subprocess

from faqbot.launcher import default_rasa_bin, rasa_env
from faqbot.settings import REPO_ROOT
from tests.live import trained_model


def test_rasa_data_validate_passes():
    result = subprocess.run(
        [str(default_rasa_bin()), "data", "validate", "--config", "config.yml", "--domain", "bot/domain.yml",
         "--data", "bot/data"],
        cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_rasa_test_stories_pass(tmp_path):
    """Every dialogue path in bot/tests (NLU of each line included) is predicted as written."""
    result = subprocess.run(
        [str(default_rasa_bin()), "test", "core", "--model", str(trained_model()), "--stories", "bot/tests",
         "--out", str(tmp_path), "--fail-on-prediction-errors"],
        cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=600,
    )
    failed = tmp_path / "failed_test_stories.yml"
    assert result.returncode == 0, (failed.read_text() if failed.exists() else "") + result.stdout[-3000:]
    report = json.loads((tmp_path / "story_report.json").read_text())
    assert report["conversation_accuracy"]["accuracy"] == 1.0 and report["conversation_accuracy"]["total"] >= 16


def test_rasa_data_validate_has_no_warnings():
    result = subprocess.run(
        [str(default_rasa_bin()), "data", "validate", "--fail-on-warnings", "--config", "config.yml",
         "--domain", "bot/domain.yml", "--data", "bot/data"],
        cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
