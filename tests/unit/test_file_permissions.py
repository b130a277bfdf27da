"""The database and index files are readable by their owner only (issue 13, finding 4)."""

import os
import stat

from faqbot.security.files import lock_down
from tests.unit import test_api

client = test_api.client


def _loose(folder):
    return [str(p) for p in folder.rglob("*") if p.is_file() and stat.S_IMODE(p.stat().st_mode) & 0o077]


def test_the_service_creates_its_files_for_its_owner_only(client, tmp_path):
    client.post("/api/conversations")  # the database has been written
    assert (tmp_path / "faqbot.db").is_file() and [p for p in (tmp_path / "index").rglob("*") if p.is_file()]
    assert _loose(tmp_path) == []
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700


def test_files_an_older_version_left_readable_are_tightened(tmp_path):
    old = tmp_path / "data" / "faqbot.db"
    old.parent.mkdir()
    old.write_text("x")
    os.chmod(old, 0o644)
    os.chmod(old.parent, 0o755)
    lock_down(old.parent)
    assert stat.S_IMODE(old.stat().st_mode) == 0o600 and stat.S_IMODE(old.parent.stat().st_mode) == 0o700
