"""Who the customer is, as the shop vouches for it: the widget's setUser sends an external id signed with
HMAC-SHA256 under a secret only the shop's server and faqbot know (FAQBOT_IDENTITY_SECRET). Name and e-mail are
shown to agents either way; the identity counts as verified only when the signature checks."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any


def sign_identity(secret: str, external_id: str) -> str:
    """What the shop's server computes: hex HMAC-SHA256 of the external id."""
    return hmac.new(secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()


def visitor_record(*, name: str | None, email: str | None, external_id: str | None, signature: str | None,
                   secret: str) -> dict[str, Any]:
    """What is stored on the conversation and shown to agents."""
    record: dict[str, Any] = {k: v.strip() for k, v in (("name", name), ("email", email),
                                                         ("external_id", external_id)) if v and v.strip()}
    verified = bool(secret and record.get("external_id") and signature
                    and hmac.compare_digest(sign_identity(secret, record["external_id"]), signature.strip().lower()))
    record["verified"] = verified
    return record
