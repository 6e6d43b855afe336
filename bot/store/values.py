"""What a value looks like once stored: the clock, cleaned text, JSON-safe payloads, id length."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

# The longest platform id the store keeps (schema: String(128)); real ids are far shorter.
MAX_ID_CHARS = 128

# Error texts are cut to this length before they are stored.
MAX_ERROR_CHARS = 2000


def utcnow() -> datetime:
    return datetime.now(UTC)


def clean_text(text: str) -> str:
    """Text safe to store on every backend: lone surrogates replaced, NUL removed."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\x00", "")


def json_safe(value: Any) -> Any:
    """The raw payload as JSON: unknown objects become strings, lone surrogates and NUL
    (which PostgreSQL refuses in text) are replaced."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, str):
        safe = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return safe.replace("\x00", "\ufffd")
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)
