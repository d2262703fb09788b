"""Logging for runs: a log file plus the terminal, with every secret masked.

:class:`RedactingFilter` replaces each configured secret (password, TOTP secret,
session token) wherever it would appear in a record, as a last line of defence:
the code never logs them on purpose.
"""

from __future__ import annotations

import logging
import os
from io import TextIOWrapper
from pathlib import Path

from harvester.masking import MASK, has_secrets, mask, mask_any, register_secret

# (MASK, mask_any and register_secret are used through this module too)
__all__ = ["FORMAT", "MASK", "mask", "mask_any", "register_secret", "RedactingFilter", "LazyFileHandler",
           "check_log_file", "setup_logging"]

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFilter(logging.Filter):
    """Masks registered secrets in the formatted message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not has_secrets():
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        text = mask(message)
        if text != message:
            record.msg, record.args = text, None
        return True


class LazyFileHandler(logging.FileHandler):
    """Appends to a log file created (with its directory) by the first record only.

    A run refused at start-up (a bad config value, loose credentials file) writes nothing.
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)

    def _open(self) -> TextIOWrapper:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


def check_log_file(log_file: str | Path) -> None:
    """ConfigError when ``log_file`` cannot be a log file: a directory, or not writable."""
    from harvester.errors import ConfigError

    path = Path(log_file)
    if path.is_dir():
        raise ConfigError(f"log.file: {path} is a directory; name a file, e.g. {path / 'harvester.log'}")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise ConfigError(f"log.file: {path} is not writable (permission denied)")
        return
    ancestor = next((p for p in path.parents if p.exists()), Path("."))
    if not ancestor.is_dir():
        raise ConfigError(f"log.file: cannot create {path}: {ancestor} is not a directory")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigError(f"log.file: cannot create {path}: {ancestor} is not writable (permission denied)")


def setup_logging(log_file: str | Path, level: str, console: bool = True) -> None:
    """Log to ``log_file`` (appending) and to stderr, masking registered secrets.

    A log file that cannot be written is a ConfigError now, not a traceback at the first line.
    """
    check_log_file(log_file)
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
