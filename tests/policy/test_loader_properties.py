"""Broken policy directories, generated: `load_policy` gives a Policy or a PolicyErrors whose
every problem names a file of the directory and a line in it, never another exception; a
value of the wrong kind under a known key is reported with that key."""

from __future__ import annotations

import math
import shutil
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import PolicyErrors
from bot.policy import Policy, decide, load_policy
from bot.policy.schema import FILES
from tests.builders import make_message
from tests.policy.helpers import REPO, classified

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SHIPPED = {name: tomllib.loads((REPO / "policies" / name).read_text()) for name in FILES}

# --- writing TOML (the standard library only reads it) ----------------------------------


def _string(s: str) -> str:
    out = []
    for ch in s:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _float(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return repr(x)


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    assert isinstance(v, dict), v
    return "{" + ", ".join(f"{_string(k)} = {toml_value(x)}" for k, x in v.items()) + "}"


def toml_document(doc: dict[str, Any]) -> str:
    """Every top-level key on its own line, tables inline: valid TOML for any document."""
    return "".join(f"{_string(k)} = {toml_value(v)}\n" for k, v in doc.items())


def test_the_writer_round_trips_the_shipped_files() -> None:
    for doc in SHIPPED.values():
        assert tomllib.loads(toml_document(doc)) == doc


# --- generated values -------------------------------------------------------------------

odd_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", " ", "\u2028", "\u200b", "e\u0301", "🙂", "\x00", "\ufeff", "[", "(?P<", "*+", "\\"]
    ),
    # huge strings, cheaply
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=4), st.integers(500, 20_000)),
)
scalars = st.one_of(
    odd_text,
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1)),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=12,
)
# Names files point at in other files: some right, some not.
names = st.sampled_from(
    ["community", "legal", "question", "praise", "default", "unanswered", "hate", "spam"]
) | st.text(max_size=12)
KNOWN_REFERENCES = [
    ("routing.toml", ("rule", 0, "group")),
    ("routing.toml", ("rule", 2, "strategy")),
    ("routing.toml", ("rule", 1, "when", "intents")),
    ("routing.toml", ("rule", 1, "when", "flags")),
    ("routing.toml", ("autosend", "intents")),
    ("routing.toml", ("defaults", "group")),
    ("routing.toml", ("defaults", "urgent_group")),
    ("replies.toml", ("example", 0, "strategy")),
    ("intents.toml", ("intent", 0, "name")),
    ("brand.toml", ("fact", 0, "keywords")),
]


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every key path in a document, tables and lists included."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield (*prefix, k)
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield (*prefix, i)
            yield from _paths(v, (*prefix, i))


def _parent(doc: Any, path: tuple[str | int, ...]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


Edit = Callable[[dict[str, Any]], None]


@st.composite
def edits(draw: st.DrawFn, name: str) -> Edit:
    """One change to a file's document: a value replaced, a key removed, renamed or added."""
    paths = list(_paths(SHIPPED[name]))
    path = draw(st.sampled_from(paths))
    kind = draw(st.sampled_from(["set", "delete", "rename", "add", "reference"]))
    value = draw(names if kind == "reference" else values)
    new_key = draw(odd_text)

    def apply(doc: dict[str, Any]) -> None:
        try:
            change(_parent(doc, path), path[-1])
        except (KeyError, IndexError, TypeError):
            pass  # an earlier edit removed or replaced the place

    def change(parent: Any, last: str | int) -> None:
        if type(parent) not in (dict, list) or isinstance(parent, dict) != isinstance(last, str):
            raise TypeError("the place changed kind")  # an earlier edit put a value there
        if kind == "delete":
            del parent[last]
        elif kind == "rename" and isinstance(parent, dict):
            parent[new_key] = parent.pop(last)
        elif kind == "add" and isinstance(parent, dict):
            parent[new_key] = value
        elif kind == "add":
            parent.append(value)
        else:
            parent[last] = value

    return apply


def _refer(doc: Any, path: tuple[str | int, ...], value: Any) -> None:
    """Point a reference elsewhere, when the edits left its place in the document."""
    try:
        parent = _parent(doc, path)
        if isinstance(parent, dict) == isinstance(path[-1], str):
            parent[path[-1]] = value
    except (KeyError, IndexError, TypeError):
        pass


@st.composite
def broken_directories(draw: st.DrawFn) -> dict[str, bytes | None]:
    """The five files (None: missing), some edited, some replaced by garbage, maybe a stray."""
    files: dict[str, bytes | None] = {}
    docs: dict[str, dict[str, Any]] = {}
    for name in FILES:
        fate = draw(st.sampled_from(["keep", "keep", "edit", "edit", "garbage", "missing"]))
        if fate == "missing":
            files[name] = None
        elif fate == "garbage":
            files[name] = draw(st.binary(max_size=200) | odd_text.map(str.encode))
        else:
            docs[name] = tomllib.loads(toml_document(SHIPPED[name]))
            for _ in range(draw(st.integers(1, 3)) if fate == "edit" else 0):
                draw(edits(name))(docs[name])
    for i, (name, path) in enumerate(KNOWN_REFERENCES):
        if name in docs and draw(st.integers(0, 9)) == 0:
            _refer(docs[name], path, draw(names if i % 2 else st.lists(names, max_size=3)))
    files |= {name: toml_document(doc).encode() for name, doc in docs.items()}
    if draw(st.booleans()):
        files[draw(st.sampled_from(["rooting.toml", "x.toml", "brand.toml.toml"]))] = b"a = 1\n"
    return files


def _write(directory: Path, files: dict[str, bytes | None]) -> None:
    directory.mkdir()
    for name, raw in files.items():
        if raw is not None:
            (directory / name).write_bytes(raw)


def _load(files: dict[str, bytes | None]) -> tuple[Policy | PolicyErrors, Path]:
    # Hypothesis runs many examples per test: a fresh directory each, not pytest's tmp_path.
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "policies"
        _write(directory, files)
        try:
            return load_policy(directory), directory
        except PolicyErrors as errors:
            return errors, directory


def _lines(raw: bytes | None) -> int:
    return max(1, (raw or b"").count(b"\n") + 1)


def assert_clear(errors: PolicyErrors, directory: Path, files: dict[str, bytes | None]) -> None:
    assert errors.problems, "PolicyErrors without a problem"
    for p in errors.problems:
        assert p.reason.strip(), p
        where = Path(p.path)
        assert where == directory or where.parent == directory, p
        assert 1 <= p.line <= _lines(files.get(where.name)), p
        assert str(p) == f"{p.path}:{p.line}: {p.reason}"


@SETTINGS
@given(broken_directories())
def test_a_broken_directory_is_a_policy_or_clear_problems(files: dict[str, bytes | None]) -> None:
    outcome, directory = _load(files)
    if isinstance(outcome, PolicyErrors):
        assert_clear(outcome, directory, files)
        return
    # Whatever it let through, deciding with it works.
    for intent in ("question", "complaint", "safety"):
        decide(outcome, make_message("Ma facture (export) est fausse ?"), classified(intent))


# --- a value of the wrong kind names its key --------------------------------------------


def _leaves(name: str) -> list[tuple[str | int, ...]]:
    """Paths to values that are not tables (tables may hold any key: dict fields)."""
    return [p for p in _paths(SHIPPED[name]) if not isinstance(_at(SHIPPED[name], p), dict)]


def _at(doc: Any, path: tuple[str | int, ...]) -> Any:
    return _parent(doc, path)[path[-1]]


def _wrong_kind(original: Any) -> st.SearchStrategy[Any]:
    """Values no validator coerces into the original's kind (no "5" for 5, no 1 for true)."""
    tables = st.dictionaries(st.text(min_size=1, max_size=5), scalars, min_size=1, max_size=2)
    dates = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1))
    if isinstance(original, list):
        return st.one_of(tables, dates, st.integers(), st.text(max_size=5), st.booleans())
    return st.one_of(tables, dates, st.lists(scalars, min_size=1, max_size=3))


@st.composite
def wrong_kinds(draw: st.DrawFn) -> tuple[str, tuple[str | int, ...], Any]:
    name = draw(st.sampled_from(sorted(FILES)))
    path = draw(st.sampled_from(_leaves(name)))
    return name, path, draw(_wrong_kind(_at(SHIPPED[name], path)))


# Line breaks to Python's str.splitlines() but not to TOML, which a comment may hold.
ODD_COMMENTS = ["", "# a\u2028b\n", "# \x85 \u2029 \n# \u2028\n"]


@SETTINGS
@given(wrong_kinds(), st.sampled_from(ODD_COMMENTS))
def test_a_value_of_the_wrong_kind_names_the_file_key_and_line(
    case: tuple[str, tuple[str | int, ...], Any], comment: str
) -> None:
    name, path, value = case
    doc = tomllib.loads(toml_document(SHIPPED[name]))
    _parent(doc, path)[path[-1]] = value
    files: dict[str, bytes | None] = {
        n: toml_document(SHIPPED[n]).encode() for n in FILES if n != name
    }
    files[name] = (comment + toml_document(doc)).encode()
    outcome, directory = _load(files)
    assert isinstance(outcome, PolicyErrors), (path, value)
    assert_clear(outcome, directory, files)
    key = ".".join(str(p) for p in path)
    mine = [p for p in outcome.problems if Path(p.path).name == name and key in p.reason]
    assert mine, ([str(p) for p in outcome.problems], key)
    # Tables are written inline: the line is the top-level key's, after the comment.
    line = comment.count("\n") + list(doc).index(str(path[0])) + 1
    assert any(p.line == line for p in mine), ([str(p) for p in mine], line)


def test_missing_and_unreadable_files_are_named(tmp_path: Path) -> None:
    directory = tmp_path / "policies"
    shutil.copytree(REPO / "policies", directory)
    (directory / "alerts.toml").unlink()
    (directory / "alerts.toml").mkdir()  # a directory where a file should be
    (directory / "brand.toml").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    outcome, _ = _load({})  # an empty directory: every file missing
    assert isinstance(outcome, PolicyErrors) and len(outcome.problems) == len(FILES)
    try:
        load_policy(directory)
    except PolicyErrors as errors:
        found = [str(p) for p in errors.problems]
    assert f"{directory / 'alerts.toml'}:1: cannot be read: Is a directory" in found
    assert f"{directory / 'brand.toml'}:1: not valid TOML: nested too deeply" in found
