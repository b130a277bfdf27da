"""A logging filter that masks personal data in every record a handler writes (privacy.redaction)."""

from __future__ import annotations

import logging

from privacy.redaction import mask_for_logs


class RedactingFilter(logging.Filter):
    """Formats the record's message once, masked; exception text is masked too."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        masked = mask_for_logs(message)
        if masked != message or record.args:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_for_logs(record.exc_text)
        return True


def install(logger: logging.Logger | None = None, level: str | int = logging.INFO) -> None:
    """Mask every handler of `logger` (the root by default); give it a stderr handler if it has none."""
    logger = logger or logging.getLogger()
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler.setLevel(level)
        logger.addHandler(handler)
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
