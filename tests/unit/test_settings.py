from pathlib import Path

import pytest

from faqbot.settings import Settings


def test_defaults_run_locally_on_sqlite():
    settings = Settings.from_env({})
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.resolved_public_url == "http://127.0.0.1:8000"
    assert settings.max_message_chars == 2000


def test_environment_overrides_with_types():
    settings = Settings.from_env({"FAQBOT_PORT": "9000", "FAQBOT_ANSWER_THRESHOLD_ZH": "0.5",
                                  "FAQBOT_DATA_DIR": "/tmp/x", "FAQBOT_DATABASE_URL": "postgresql+asyncpg://db/x",
                                  "FAQBOT_RASA_URL": ""})
    assert settings.port == 9000 and settings.answer_threshold_zh == 0.5
    assert settings.data_dir == Path("/tmp/x") and settings.index_dir == Path("/tmp/x/index")
    assert settings.resolved_database_url == "postgresql+asyncpg://db/x"
    assert settings.rasa_url == "http://127.0.0.1:5005"  # empty means default


def test_a_bad_number_names_the_variable():
    with pytest.raises(ValueError, match="FAQBOT_PORT"):
        Settings.from_env({"FAQBOT_PORT": "eighty"})
