"""Data files readable by their owner only: the database, the index, Rasa's tracker store, models, logs.

Processes the product starts create files with umask 077 (so new files are 0600, folders 0700), and at
start-up the data folder and what is already in it are tightened (older installs made them 0644).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

OWNER_ONLY_UMASK = 0o077


def owner_only_umask() -> None:
    """Files this process creates from now on are readable by their owner only."""
    os.umask(OWNER_ONLY_UMASK)


def lock_down(folder: Path) -> None:
    """`folder` 0700, and every folder under it 0700 and file 0600 (symbolic links are left alone)."""
    folder.mkdir(parents=True, exist_ok=True)
    for root, dirs, files in os.walk(folder):
        os.chmod(root, 0o700)
        for name in files:
            path = os.path.join(root, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISREG(mode) and stat.S_IMODE(mode) & 0o077:
                os.chmod(path, stat.S_IMODE(mode) & 0o700)
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(root, d))]


def create_owner_only(path: Path) -> None:
    """Create `path` empty with mode 0600 if it does not exist (SQLite then gives its WAL files the same mode)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
