"""Who the customer is, as far as they told us: a name and an e-mail address or phone number."""

from __future__ import annotations

import re
from collections.abc import Iterable

from faqbot.conversations.models import Message, Sender

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![\d])(?:\+?\d[\d\s-]{6,15}\d)(?![\d])")
NAME = re.compile(r"(?:\bmy name is|\bthis is|\bname:)\s+([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)"
                  r"|(?:我叫|我的名字是|我的名字叫)\s*([\u4e00-\u9fffA-Za-z]{1,8}?)(?=[，。,.!！\s]|$)")


def contact_from(messages: Iterable[Message]) -> dict[str, str]:
    """The latest name, e-mail and phone the customer wrote (order numbers are not phone numbers)."""
    found: dict[str, str] = {}
    for message in messages:
        if message.sender is not Sender.CUSTOMER or message.data.get("payload"):
            continue
        text = message.text
        if email := EMAIL.search(text):
            found["email"] = email.group(0)
        if name := NAME.search(text):
            found["name"] = (name.group(1) or name.group(2)).strip()
        without_orders = EMAIL.sub(" ", text)
        for entity in (message.data.get("entities") or []):
            if entity.get("entity") == "order_number" and entity.get("value"):
                without_orders = without_orders.replace(str(entity["value"]), " ")
        if (phone := PHONE.search(without_orders)) and sum(c.isdigit() for c in phone.group(0)) >= 7 \
                and not re.fullmatch(r"\d{8,12}", phone.group(0)):
            found["phone"] = phone.group(0).strip()
    return found
