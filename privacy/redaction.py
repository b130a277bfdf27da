"""Finding personal data in what people type, and masking it before anything is stored, sent on or logged.

- Card numbers (13–19 digits, spaces or dashes allowed, Luhn-valid) become their masked form, the first 6
  and last 4 digits (`411111******1111`), as payment processors show them.
- Secrets given with their name — a CVV or security code, a password, a PIN, a one-time code, in English
  or Chinese (`my CVV is 123`, `密码是abc123`) — lose their value: `my CVV is [redacted]`.
- E-mail addresses and phone numbers (phonenumbers, Chinese mobiles and landlines by default, any number
  written with its country code) are masked in the text (`j***@example.com`, `138****5678`) and returned
  as contact details, so they can be kept in one place meant for them (the handoff's contact fields).

`redact` is for text that will be stored or sent to the bot; `mask_for_logs` for anything logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher

REDACTED = "[redacted]"
DEFAULT_PHONE_REGION = "CN"

_CARD = re.compile(r"(?<![\d*+])\d(?:[ -]?\d){12,18}(?![\d*])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# a code given by name: the value is digits, whatever separates it from the name
_CODE = re.compile(
    r"(?P<name>\b(?:cvv2?|cvc2?|csc|cid|security\s+code|card\s+verification\s+(?:code|value)|pin(?:\s+code)?"
    r"|one[-\s]time\s+(?:code|password)|otp|verification\s+code|sms\s+code)\b|安全码|验证码|校验码|动态码|cvv码)"
    r"(?P<sep>\s*(?:number|no\.?)?\s*(?:is|was|:|=|-|是|为|：)?\s*)(?P<value>\d{3,8})(?!\d)",
    re.IGNORECASE)
# a password given by name: anything up to the next space, after an explicit "is" / ":" / "=" / "是"
_PASSWORD = re.compile(
    r"(?P<name>\b(?:password|passcode|passwd|pwd|passphrase)\b|支付密码|登录密码|登陆密码|密码|口令)"
    r"(?P<sep>\s*(?:is|was|:|=|是|为|：|改成了|改为)\s*)(?P<value>[^\s，。,;；]+)",
    re.IGNORECASE)
# words after "my password is" that describe it rather than being it
_NOT_A_PASSWORD = frozenset({
    "not", "wrong", "incorrect", "invalid", "correct", "right", "working", "broken", "expired", "forgotten",
    "lost", "too", "the", "a", "an", "still", "no", "longer", "same", "different", "blocked", "locked", "reset",
    "changed", "missing", "empty", "weak", "fine", "ok", "okay", "accepted", "rejected", "wrong.", "错误", "不对",
    "忘了", "忘记了", "不正确", "无效",
})


@dataclass(frozen=True)
class Redacted:
    """Text safe to store, what was taken out of it, and the contact details it held."""

    text: str
    kinds: tuple[str, ...] = ()  # "card", "secret", "email", "phone", in order of appearance
    contact: dict[str, str] = field(default_factory=dict)  # {"email": ..., "phone": ...}: the last of each

    @property
    def changed(self) -> bool:
        return bool(self.kinds)


def luhn_valid(digits: str) -> bool:
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def mask_card(digits: str) -> str:
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_phone(national: str) -> str:
    """The national number with all but its first 3 and last 4 digits hidden (138****5678)."""
    if len(national) <= 7:
        return "*" * len(national)
    return national[:3] + "*" * (len(national) - 7) + national[-4:]


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str
    replacement: str
    contact: tuple[str, str] | None = None


def _cards(text: str) -> list[_Span]:
    spans = []
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group(0))
        if luhn_valid(digits):
            spans.append(_Span(match.start(), match.end(), "card", mask_card(digits)))
    return spans


def _secrets(text: str) -> list[_Span]:
    spans = [_Span(m.start("value"), m.end("value"), "secret", REDACTED) for m in _CODE.finditer(text)]
    for m in _PASSWORD.finditer(text):
        if m.group("value").lower().strip(".!?") not in _NOT_A_PASSWORD:
            spans.append(_Span(m.start("value"), m.end("value"), "secret", REDACTED))
    return spans


def _emails(text: str) -> list[_Span]:
    return [_Span(m.start(), m.end(), "email", mask_email(m.group(0)), ("email", m.group(0)))
            for m in _EMAIL.finditer(text)]


def _phones(text: str, region: str) -> list[_Span]:
    return [_Span(m.start, m.end, "phone", mask_phone(phonenumbers.national_significant_number(m.number)),
                  ("phone", m.raw_string)) for m in PhoneNumberMatcher(text, region, leniency=Leniency.VALID)]


def redact(text: str, *, region: str = DEFAULT_PHONE_REGION, contacts: bool = True) -> Redacted:
    """`text` with card numbers masked, named secrets removed, e-mails and phones masked (and returned).

    `contacts=False` leaves e-mails and phone numbers alone (an agent giving the shop's hotline).
    """
    if not text:
        return Redacted(text or "")
    spans: list[_Span] = []
    finders = (_cards(text), _secrets(text), *((_emails(text), _phones(text, region)) if contacts else ()))
    # the most specific first: a span overlapping one already taken is dropped
    for candidates in finders:
        for span in candidates:
            if not any(span.start < kept.end and kept.start < span.end for kept in spans):
                spans.append(span)
    if not spans:
        return Redacted(text)
    spans.sort(key=lambda s: s.start)
    pieces, contact, position = [], {}, 0
    for span in spans:
        pieces.append(text[position:span.start])
        pieces.append(span.replacement)
        position = span.end
        if span.contact:
            contact[span.contact[0]] = span.contact[1].strip()
    pieces.append(text[position:])
    return Redacted("".join(pieces), tuple(s.kind for s in spans), contact)


def mask_for_logs(text: str) -> str:
    """What may be written to a log: everything `redact` hides, hidden."""
    return redact(text).text


def looks_like_phone(text: str, region: str = DEFAULT_PHONE_REGION) -> bool:
    """True if `text` is, as a whole, a valid phone number."""
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, region))
    except phonenumbers.NumberParseException:
        return False
