"""Line numbers for TOML keys, so every policy error reads ``path:line: reason``.

``tomllib`` gives values, not positions. This scanner reads the same text line by line and
records where each table header and each key starts; nested keys that it cannot see (inside
inline tables or multi-line arrays) fall back to the nearest enclosing key it saw.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

Path = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _split_dotted(key: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", key)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


class LineIndex:
    """Maps key paths (``("rule", 2, "group")``) to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        arrays: dict[tuple[str, ...], int] = {}
        table: Path = ()
        depth = 0  # open brackets/braces of a multi-line value: keys inside are not top-level
        # Lines as TOML counts them: "\n" only, not the other breaks splitlines() knows
        # ("\u2028", "\x85"…), which a comment or a string may hold.
        for lineno, line in enumerate(text.split("\n"), 1):
            if depth == 0:
                header = _HEADER.match(line)
                if header:
                    names = tuple(_split_dotted(header.group(2)))
                    if header.group(1) == "[[":
                        index = arrays.get(names, -1) + 1
                        arrays[names] = index
                        table = (*self._resolve(names, arrays), index)
                    else:
                        table = self._resolve(names, arrays)
                    self._lines.setdefault(table, lineno)
                    continue
                key = _KEY.match(line)
                if key:
                    path = (*table, *_split_dotted(key.group(1)))
                    for i in range(len(table) + 1, len(path) + 1):
                        self._lines.setdefault(path[:i], lineno)
            depth = max(0, depth + _bracket_balance(line))

    @staticmethod
    def _resolve(names: tuple[str, ...], arrays: dict[tuple[str, ...], int]) -> Path:
        """``[rule.when]`` inside the third ``[[rule]]`` is ``("rule", 2, "when")``."""
        out: list[str | int] = []
        for i, name in enumerate(names):
            out.append(name)
            prefix = names[: i + 1]
            if prefix in arrays and i < len(names) - 1:
                out.append(arrays[prefix])
        return tuple(out)

    def line(self, path: Sequence[str | int]) -> int:
        """The line of ``path`` or of its nearest known ancestor (1 when nothing is known)."""
        p = tuple(path)
        while p:
            if p in self._lines:
                return self._lines[p]
            p = p[:-1]
        return 1


def _bracket_balance(line: str) -> int:
    """Net opening brackets on a line, ignoring strings and comments (good enough for TOML)."""
    balance, quote = 0, ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch in "[{":
            balance += 1
        elif ch in "]}":
            balance -= 1
        i += 1
    return balance
