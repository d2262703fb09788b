"""Logging for runs: a log file plus the terminal, with every secret masked.

:class:`RedactingFilter` replaces each configured secret (password, TOTP secret,
session token) wherever it would appear in a record, as a last line of defence:
the code never logs them on purpose.
"""

from __future__ import annotations

import logging
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "********"
# Every secret this process knows (password, TOTP secret, session tokens); see register_secret.
_SECRETS: set[str] = set()


def register_secret(value: str) -> None:
    """Mask ``value`` in every log record from now on."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


class RedactingFilter(logging.Filter):
    """Masks registered secrets in the formatted message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        values = list(_SECRETS)
        if not values:
            return True
        message = record.getMessage()
        text = message
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for value in values:
            text = text.replace(value, MASK)
            if record.exc_text:
                record.exc_text = record.exc_text.replace(value, MASK)
        if text != message:
            record.msg, record.args = text, None
        return True


class LazyFileHandler(logging.FileHandler):
    """Appends to a log file created (with its directory) by the first record only.

    A run refused at start-up (a bad config value, loose credentials file) writes nothing.
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)

    def _open(self):  # type: ignore[no-untyped-def]
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


def setup_logging(log_file: str | Path, level: str, console: bool = True) -> None:
    """Log to ``log_file`` (appending) and to stderr, masking registered secrets."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(level.upper())
    redact = RedactingFilter()
    handlers: list[logging.Handler] = [LazyFileHandler(log_file)]
    if console:
        handlers.append(logging.StreamHandler())
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        handler.addFilter(redact)
        root.addHandler(handler)
    # Scrapy's per-request debug lines are noise at INFO; its warnings still show.
    # The run prints its own summary and progress; Scrapy's start-up and stats dumps
    # are for debugging (log.level = "DEBUG" shows them).
    for name in ("scrapy", "twisted", "py.warnings"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
