"""Services for a standalone action server (`python -m rasa_sdk --actions bot.actions`).

rasa_sdk builds actions without arguments there, so they fall back to services built once
from the environment. Inside the web service the composition root passes services in instead
and this module is never used.
"""

from __future__ import annotations

import asyncio

from bot.actions.ports import ActionServices

_lock = asyncio.Lock()
_services: ActionServices | None = None


async def services_from_environment() -> ActionServices:
    global _services
    async with _lock:
        if _services is None:
            from faqbot.settings import Settings
            from faqbot.wiring import build_core

            core = await build_core(Settings.from_env())
            _services = ActionServices(knowledge=core.knowledge)
    return _services
