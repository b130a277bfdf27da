"""Personal data: finding and masking it in text (redaction), before anything is stored, sent or logged."""

from privacy.redaction import Redacted, mask_for_logs, redact

__all__ = ["Redacted", "mask_for_logs", "redact"]
