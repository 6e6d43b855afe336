"""Secrets never shown: the one place where text bound for a human is cleaned of secrets.

Every sink goes through here: the log (a filter installed on the root handlers by
``tactline`` at start), and error text for admin alerts, adapter health, ``tactline status``,
the alerts table and the CSV reports (:func:`exception_text` and :func:`redact`).

Two kinds of secret are removed:

- the configured values: each token read from the environment through
  :func:`bot.config.secret` is remembered here (and ``tactline`` remembers every variable
  that config.toml names, set or not, at start), so a token is hidden wherever it turns up,
  even inside an SDK's message (python-telegram-bot puts the bot token in some of its errors);
- token-shaped strings, whoever's they are: Telegram bot tokens, Slack ``xox?-`` and
  ``xapp-`` tokens, Discord-like three-part tokens, the ``/bot<token>/`` part of a Bot API URL,
  and the password of any ``scheme://user:password@host`` URL.

The remembered values are process-wide on purpose: an exception raised deep in an SDK can
reach the log from any task, and the filter cannot be handed every token by hand. It holds
values only, never reads the environment by itself, and is filled explicitly.

Every pattern here runs in linear time (anchored at the start of a run, or at a literal):
redaction sees whole messages and tracebacks, whatever their length.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote

MASK = "[redacted]"
# Shorter values are not secrets worth the damage of replacing them everywhere ("1", "on").
MIN_SECRET_LENGTH = 6

_remembered: set[str] = set()

# Each pattern starts at the beginning of a run (a negative look-behind) or at a literal, so a
# failed attempt is never retried from every position inside the same run.
_TOKEN_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # a Bot API URL path: https://api.telegram.org/bot<token>/getMe
    (re.compile(r"/bot[0-9]+:[^/\s?#'\"]+"), "/bot" + MASK),
    # Telegram bot token: <bot id>:<35 characters>
    (re.compile(r"(?<![0-9])[0-9]+:[A-Za-z0-9_-]{30,}"), MASK),
    # Slack: bot, user, app-level tokens (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xapp-)
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]+"), MASK),
    (re.compile(r"\bxapp-[A-Za-z0-9-]+"), MASK),
    # Discord bot tokens (and JWT-like three-part tokens): base64 id . timestamp . hmac
    (
        re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{20,}"),
        MASK,
    ),
    # an Authorization header: Bearer <key> (the LLM server's api key)
    (re.compile(r"(\bBearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1" + MASK),
    # the password of a URL: scheme://user:password@host
    (re.compile(r"(://[^/\s:@]*:)[^/\s@]+@"), r"\1***@"),
)


def remember(value: str | None) -> None:
    """Hide ``value`` from now on wherever text is redacted (empty or short values ignored)."""
    if value and len(value.strip()) >= MIN_SECRET_LENGTH:
        _remembered.add(value.strip())


def forget_all() -> None:
    """Forget every remembered value (for tests)."""
    _remembered.clear()


def redact(text: str, extra: Iterable[str | None] = ()) -> str:
    """``text`` with every remembered secret, every value of ``extra`` and every token-shaped
    string replaced by ``[redacted]``."""
    values = set(_remembered)
    values.update(v.strip() for v in extra if v and len(v.strip()) >= MIN_SECRET_LENGTH)
    if values:
        for value in sorted(values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
            quoted = quote(value, safe="")
            if quoted != value and quoted in text:
                text = text.replace(quoted, MASK)
    for pattern, replacement in _TOKEN_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def exception_text(exc: BaseException, extra: Iterable[str | None] = ()) -> str:
    """An exception as one line for humans (alerts, adapter health, the store): its message,
    or its class name when it has none, redacted."""
    text = str(exc).strip() or exc.__class__.__name__
    return redact(" ".join(text.split()), extra)


def safe_url(url: str) -> str:
    """A database URL fit to print: its password hidden (``***``), even if it does not parse."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        return redact(url)


class RedactingFilter(logging.Filter):
    """Redacts a record's message, arguments, traceback and stack before any handler sees it."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as it would
            return True
        record.msg, record.args = redact(message), ()
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Put one :class:`RedactingFilter` on every handler of ``logger`` (the root logger by
    default). Handler filters see the records of every logger below, unlike logger filters."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        for f in handler.filters:
            if isinstance(f, RedactingFilter):
                break
        else:
            handler.addFilter(RedactingFilter())


__all__ = [
    "MASK",
    "RedactingFilter",
    "exception_text",
    "forget_all",
    "install_log_redaction",
    "redact",
    "remember",
    "safe_url",
]
