"""Where ``tactline`` logs go: one handler on stderr, as text for people or JSON lines for
log shippers (``[logging] format = "json"``).

``tactline`` configures logging twice: before config.toml is read (text, so that a broken
config is still reported) and once it is read (its ``[logging]`` section). Either way the
handler carries :class:`bot.redact.RedactingFilter`, which cleans each record's message and
traceback before any formatter sees it, so a JSON line never holds a token either.

When the process already has log handlers (an embedding program, pytest), they are left as
they are: only the redaction filter is added to them.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.config import LoggingConfig
from bot.redact import install_log_redaction

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Libraries that log every request at INFO: their warnings are enough.
NOISY_LOGGERS = ("httpx", "aiohttp.access", "sqlalchemy.engine")
HANDLER_NAME = "tactline"


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line: ``time`` (UTC, ISO 8601), ``level``,
    ``logger``, ``message``, and ``exception`` / ``stack`` when the record has them.

    Non-ASCII characters are escaped, so no character inside a message (a newline, U+2028)
    can split a record over two lines for a shipper that reads line by line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=True, default=str)


def make_formatter(settings: LoggingConfig) -> logging.Formatter:
    """The formatter ``[logging] format`` asks for."""
    if settings.format == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(
    settings: LoggingConfig | None = None,
    *,
    verbose: bool = False,
    logger: logging.Logger | None = None,
    stream: TextIO | None = None,
) -> None:
    """Send ``logger``'s records (the root logger's by default) to ``stream`` (stderr) in the
    configured format and level (``verbose`` means DEBUG), redacted. Safe to call again: the
    handler made the first time is reformatted, never doubled."""
    settings = settings or LoggingConfig()
    target = logger or logging.getLogger()
    handler = _own_handler(target, stream)
    if handler is not None:
        handler.setFormatter(make_formatter(settings))
        target.setLevel(logging.DEBUG if verbose else settings.level)
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(logging.WARNING)
    install_log_redaction(target)


def _own_handler(target: logging.Logger, stream: TextIO | None) -> logging.Handler | None:
    """Our stderr handler on ``target``: the one made before, a new one when ``target`` has
    none, or None when someone else's handlers are there already."""
    for handler in target.handlers:
        if handler.get_name() == HANDLER_NAME:
            return handler
    if target.handlers:
        return None
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(HANDLER_NAME)
    target.addHandler(handler)
    return handler


__all__ = ["JsonFormatter", "configure_logging", "make_formatter"]
