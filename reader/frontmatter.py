"""Splitting a file into front matter and body, and parsing the front matter safely and fast.

Three formats, told apart by how the file starts:

* YAML between ``---`` lines: the seed format, and Jekyll, Hugo, Eleventy,
  Astro, Go's blog, Obsidian;
* TOML between ``+++`` lines (Hugo, Zola), parsed with ``tomllib``;
* a JSON object at the very top of the file (Hugo), or between ``---json``
  and ``---`` (Eleventy, which also names ``---yaml`` and ``---toml``).

Each gives the same guarantees: time and memory bounded whatever the file
holds, one clear reason (``FrontMatterError``) when the block is broken, and
never an exception of another kind. ``read`` is the one entry point loading uses.

YAML: PyYAML (with libyaml's C loader where present) is the reference parser.
The Rust parser ``yaml_rs`` is an optional accelerator, about ten times faster
on seed-like files (measured on the development machine); it is used only
where it is known to agree with PyYAML, and anything it refuses or might read
differently goes to PyYAML. ``tests/test_loading.py`` checks that both give
the same records. A large YAML front matter (over 64 KB) is built from
libyaml's events instead, which bounds what it can cost (see
``_parse_large_yaml``).
"""

from __future__ import annotations

import json
import re
import threading
from datetime import time
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import BaseHandler
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode

try:  # a dependency on CPython; without it (elsewhere) PyYAML does everything
    import yaml_rs
except ImportError:  # pragma: no cover - depends on the environment
    yaml_rs = None

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ArticleLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """PyYAML's safe loader, except that an impossible timestamp stays text.

    ``publishedDateTime: 2021-13-45`` makes the stock loader raise, losing the
    whole article over one field; as text it is simply "no date" later.
    """


def _lenient_timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)  # type: ignore[arg-type]


ArticleLoader.add_constructor("tag:yaml.org,2002:timestamp", _lenient_timestamp)

# Where YAML 1.1 (PyYAML) and YAML 1.2 (yaml_rs) read a scalar differently in
# a way that survives normalisation, or where yaml_rs is laxer than PyYAML, the
# file goes to PyYAML. Regular expressions over the source would cost more than
# the fast parse saves, so the checks are substring tests on the source and a
# look at the values the reader uses in the result (a few µs a file):
# - a tag (`!!python/object`, `!foo`): PyYAML refuses it, yaml_rs ignores it;
# - 0o17 / 0b101: numbers in 1.2, text in 1.1; 012 is 10 in 1.1, 12 in 1.2,
#   and 08 is text in 1.1 (so a value starting 0 and a digit goes to PyYAML);
# - yes/no/on/off/y/n as a plain value: booleans in 1.1, text in 1.2;
# - 1:20 (base 60) is 80 in 1.1, text in 1.2; 1e3 is a float in 1.2, text in
#   1.1 ("title: 12:30" would otherwise differ with the parser that read it).
# Differences that normalisation erases need no check.
_TAG = re.compile(r"(?:^|[\s\[{,])!", re.MULTILINE)
# Three substring tests (as cheap as the 0o/0b ones were) find a value that
# may start with 0; the pattern then confirms it, so that the many files with
# "quality: 0" or "heat: 0" keep the fast parser.
_NUMBER_MARKERS = (" 0", "[0", ",0")
_LEADING_ZERO = re.compile(r"[ \[,]0[0-9_ob]")
_YAML11_WORDS = frozenset(
    ["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"]
)
_SEXAGESIMAL = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
# An alias bomb unfolds into millions of nodes in yaml_rs (PyYAML shares them):
# stop early and let PyYAML build it.
_ALIAS_REPLAY_LIMIT = 20_000
# yaml_rs is used only where enable_accelerator() was called: in the parsing
# processes of a large cold load (folder_loader). In the app's own process it
# crashed in native code (a segfault in a worker thread, after several apps had
# run in one test process; not reproduced alone). In a parsing process a crash
# costs only the fall-back to in-process PyYAML; in the app it would end the
# user's session. The lock keeps it to one parse at a time all the same.
_accelerate = False
_ACCELERATOR_LOCK = threading.Lock()


def enable_accelerator() -> None:
    """Use yaml_rs in this process from now on (where it is installed)."""
    global _accelerate
    _accelerate = yaml_rs is not None


def _source_needs_reference(source: str) -> bool:
    if "!" in source and _TAG.search(source):
        return True
    return any(marker in source for marker in _NUMBER_MARKERS) and _LEADING_ZERO.search(source) is not None


def _scalars(fields: dict) -> list[Any]:
    """The scalars the reader uses: top-level values, and one and two levels into
    mappings and lists (provider, topics, related stories and their providers)."""
    scalars: list[Any] = []
    add = scalars.append
    for value in fields.values():
        kind = value.__class__
        if kind is list:
            for item in value:
                if item.__class__ is dict:
                    for inner in item.values():
                        if inner.__class__ is dict:
                            scalars.extend(inner.values())
                        else:
                            add(inner)
                else:
                    add(item)
        elif kind is dict:
            scalars.extend(value.values())
        else:
            add(value)
    return scalars


def _result_needs_reference(fields: Any) -> bool:
    """True if a value the reader uses may read differently in PyYAML: a 1.1
    boolean word or a base-60 number that yaml_rs kept as text (or as a time,
    12:30:00), or a float (1e3 is text in 1.1). This runs for every file of a
    cold load, so it is one flat loop without a call per value."""
    if not isinstance(fields, dict):
        return False  # not an article either way; loading rejects it
    words = _YAML11_WORDS
    for key in fields:
        if key.__class__ is not str or key in words:
            return True
    for value in _scalars(fields):
        kind = value.__class__
        if kind is str:
            if value in words:
                return True
            if ":" in value and value[:1] in "+-0123456789" and _SEXAGESIMAL.fullmatch(value) is not None:
                return True
        elif kind is float or kind is time:
            return True
    return False


class FrontMatterError(Exception):
    """A front matter that cannot be read, with the one-line reason (untrusted text: clean it to show it)."""


# --- YAML -------------------------------------------------------------------------

# Above this size a YAML front matter is built from libyaml's events (below):
# libyaml's own loader takes ~8 µs a node in Python, so 3.5 MB of tiny mappings
# took 9 s, while a long excerpt is one node however long it is.
_LARGE_YAML_CHARS = 64 * 1024
# A large front matter keeps the first items of each list: the reader uses at
# most 100 related stories and 100 topics, and the rest are still parsed, so a
# syntax error further on is found all the same.
MAX_LIST_ITEMS = 1_000
# What a large front matter may build in all, once lists are cut: far more than
# any real one holds, and a few tenths of a second to build.
MAX_NODES = 100_000
# Deeper than any real front matter (a related story's provider is 3 levels down).
MAX_DEPTH = 100

_STR_TAG = "tag:yaml.org,2002:str"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_VALUE_TAG = "tag:yaml.org,2002:value"
_NO_KEY = object()  # a mapping waiting for its next key
_MERGE_KEY = object()  # a mapping whose pending key is YAML's merge key "<<"


# python-frontmatter finds and splits the front matter; parsing is ours.
HANDLER = frontmatter.YAMLHandler()


def parse_yaml(source: str, *, accelerate: bool | None = None) -> Any:
    """Parse one YAML front matter; raises ``yaml.YAMLError``, ``ValueError`` or
    ``FrontMatterError`` when it is not YAML or is beyond the bounds.

    ``accelerate``: try yaml_rs first; by default, where ``enable_accelerator`` was called.
    """
    if len(source) > _LARGE_YAML_CHARS:
        return _parse_large_yaml(source)
    if accelerate is None:
        accelerate = _accelerate
    if accelerate and yaml_rs is not None and not _source_needs_reference(source):
        try:
            with _ACCELERATOR_LOCK:
                limits = yaml_rs.AliasLimits(max_total_replayed_events=_ALIAS_REPLAY_LIMIT)
                result = yaml_rs.loads(source, alias_limits=limits)
        except Exception:
            pass
        else:
            if not _result_needs_reference(result):
                return result
    return yaml.load(source, Loader=ArticleLoader)


def _parse_large_yaml(source: str) -> Any:
    """What ``yaml.load(source, ArticleLoader)`` gives, built from libyaml's events
    with bounds: each list keeps its first MAX_LIST_ITEMS items, at most MAX_NODES
    values are built, nesting stops at MAX_DEPTH, and an alias is the anchored
    value itself (shared, as PyYAML shares it), never a copy, so an alias bomb
    costs nothing. Events cost ~0.7 µs each (4 MB: about a second); building a
    value costs ten times that, hence the bounds on what is built.

    Tags other than the standard scalar ones, ``!!seq`` and ``!!map`` are refused
    (PyYAML's safe loader refuses the dangerous ones too; ``!!set``, ``!!omap``
    and ``!!pairs`` are not worth a large file's special case).
    """
    loader = ArticleLoader(source)
    try:
        return _build(loader)
    finally:
        loader.dispose()


def _build(loader: Any) -> Any:
    get_event = loader.get_event
    resolve = loader.resolve
    constructors = loader.yaml_constructors
    anchors: dict[str, Any] = {}
    # One frame per open collection: [container, pending key or _NO_KEY, items so far, merges].
    stack: list[list[Any]] = []
    documents = 0
    root: Any = None
    nodes = 0
    skipping = 0  # > 0: inside an item past a list's limit, this many collections deep

    def add(value: Any, start_mark: Any) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        frame = stack[-1]
        container = frame[0]
        if container.__class__ is list:
            container.append(value)
            frame[2] += 1
            return
        key = frame[1]
        if key is _NO_KEY:
            if value.__class__ in (list, dict):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", None, "found unhashable key", start_mark
                )
            frame[1] = value
        elif key is _MERGE_KEY:
            frame[3].append((value, start_mark))
            frame[1] = _NO_KEY
        else:
            container[key] = value
            frame[1] = _NO_KEY

    while True:
        event = get_event()
        kind = event.__class__
        if skipping:
            # An alias to an anchor inside a dropped item reads as null.
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                skipping += 1
                if event.anchor:
                    anchors[event.anchor] = None
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                skipping -= 1
            elif kind is ScalarEvent and event.anchor:
                anchors[event.anchor] = None
            continue
        if (kind is ScalarEvent or kind is MappingStartEvent or kind is SequenceStartEvent or kind is AliasEvent) and (
            stack and stack[-1][0].__class__ is list and stack[-1][2] >= MAX_LIST_ITEMS
        ):
            if kind is MappingStartEvent or kind is SequenceStartEvent:
                skipping = 1
            if kind is not AliasEvent and event.anchor:
                anchors[event.anchor] = None
            continue
        if kind is ScalarEvent:
            nodes += 1
            if nodes > MAX_NODES:
                raise FrontMatterError(f"front matter too complex (over {MAX_NODES:,} YAML values)")
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(ScalarNode, event.value, event.implicit)
            if tag in (_STR_TAG, _VALUE_TAG):
                value = event.value
            elif tag == _MERGE_TAG and stack and stack[-1][0].__class__ is dict and stack[-1][1] is _NO_KEY:
                stack[-1][1] = _MERGE_KEY
                if event.anchor:
                    anchors[event.anchor] = event.value
                continue
            else:
                constructor = constructors.get(tag)
                if constructor is None:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"could not determine a constructor for the tag {tag!r}", event.start_mark
                    )
                value = constructor(
                    loader, ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=event.style)
                )
            if event.anchor:
                anchors[event.anchor] = value
            add(value, event.start_mark)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            nodes += 1
            if nodes > MAX_NODES:
                raise FrontMatterError(f"front matter too complex (over {MAX_NODES:,} YAML values)")
            if len(stack) >= MAX_DEPTH:
                raise FrontMatterError("front matter is nested too deeply")
            tag = event.tag
            expected = _MAP_TAG if kind is MappingStartEvent else _SEQ_TAG
            if tag is not None and tag != "!" and tag != expected:
                raise yaml.constructor.ConstructorError(
                    None, None, f"could not determine a constructor for the tag {tag!r}", event.start_mark
                )
            container: Any = {} if kind is MappingStartEvent else []
            if event.anchor:
                anchors[event.anchor] = container
            add(container, event.start_mark)
            stack.append([container, _NO_KEY, 0, []])
        elif kind is MappingEndEvent or kind is SequenceEndEvent:
            frame = stack.pop()
            if frame[3]:
                _merge(frame[0], frame[3])
        elif kind is AliasEvent:
            if event.anchor not in anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"found undefined alias {event.anchor!r}", event.start_mark
                )
            add(anchors[event.anchor], event.start_mark)
        elif kind is DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise yaml.composer.ComposerError(
                    "expected a single document in the stream", None, "but found another document", event.start_mark
                )
        elif kind is StreamEndEvent:
            return root


def _merge(mapping: dict, merges: list[tuple[Any, Any]]) -> None:
    """YAML's merge keys, as PyYAML applies them: the mapping's own keys win,
    then later ``<<`` keys over earlier ones, then the first of a merged list."""
    merged: dict = {}
    for value, mark in merges:
        if value.__class__ is dict:
            merged.update(value)
        elif value.__class__ is list and all(item.__class__ is dict for item in value):
            for item in reversed(value):
                merged.update(item)
        else:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", None, "expected a mapping or list of mappings for merging", mark
            )
    own = dict(mapping)
    mapping.clear()
    mapping.update(merged)
    mapping.update(own)


# --- TOML -------------------------------------------------------------------------

# tomllib is pure Python: ~1 µs a character at worst (4 MB of "1," took 4.5 s),
# so a TOML front matter is bounded by size; no real one comes near this.
MAX_TOML_CHARS = 1_000_000
# tomllib's time grows with the cube of a dotted key's length (10,000 parts
# took a second, 30,000 took 16 s): a key of more parts than this is refused.
MAX_KEY_PARTS = 64
# A dotted key where TOML allows one (a line's start, a table header, an inline
# table), in MAX_KEY_PARTS parts or more. Anchored and possessive, so the
# search is linear whatever the text.
_LONG_DOTTED_KEY = re.compile(
    r"(?:^|[\[{,])[ \t]*+(?:(?:[A-Za-z0-9_-]++|\"[^\"\n]*+\"|'[^'\n]*+')[ \t]*+\.[ \t]*+)" + f"{{{MAX_KEY_PARTS - 1}}}",
    re.MULTILINE,
)
TOML_HANDLER = BaseHandler(fm_boundary=re.compile(r"^\+{3,}\s*$", re.MULTILINE))


def parse_toml(source: str) -> dict[str, Any]:
    """Parse one TOML front matter; raises ``tomllib.TOMLDecodeError`` or ``FrontMatterError``."""
    if len(source) > MAX_TOML_CHARS:
        raise FrontMatterError(f"TOML front matter too large (over {MAX_TOML_CHARS // 1000:,} KB)")
    if source.count(".") >= MAX_KEY_PARTS - 1 and _LONG_DOTTED_KEY.search(source):
        raise FrontMatterError(f"front matter is nested too deeply (a key of {MAX_KEY_PARTS} parts or more)")
    import tomllib  # only folders with TOML front matter pay for it

    return tomllib.loads(source)


# --- JSON -------------------------------------------------------------------------

# Hugo's JSON front matter is an object at the top of the file; a file that
# starts with "{{" (a shortcode) or "{%" (Liquid) has no front matter.
_JSON_START = re.compile(r"\{\s*[\"}]")
_JSON_DECODER = json.JSONDecoder()


def parse_json(source: str) -> Any:
    """Parse one JSON front matter; raises ``ValueError`` (``json.JSONDecodeError``) when it is not JSON.

    The C parser reads 4 MB in tens of milliseconds; nesting ends in RecursionError, which ``read`` names.
    """
    return json.loads(source)


# --- finding the front matter -------------------------------------------------------

# Eleventy's `---json` (and `---yaml`, `---toml`): the language after the opening dashes.
_LANGUAGE_MARKER = re.compile(r"---([A-Za-z]+)[ \t]*$", re.MULTILINE)
_FORMAT_NAMES = {"yaml": "YAML", "toml": "TOML", "json": "JSON"}


def split(text: str) -> tuple[str, str, str] | None:
    """(format, front matter, body), or None when the text does not start with a front matter.

    The format is "yaml", "toml" or "json". Raises FrontMatterError for an
    opening line without its closing one, or a front matter in a language the
    reader does not read (Eleventy's ``---js``).
    """
    first = text[:1]
    if first == "-":
        if HANDLER.detect(text):
            return ("yaml", *_split_between(HANDLER, text, "---"))
        marker = _LANGUAGE_MARKER.match(text)
        if marker is None:
            return None
        language = marker.group(1).lower()
        if language not in _FORMAT_NAMES:
            raise FrontMatterError(f"front matter in a language the reader does not read ('---{marker.group(1)[:20]}')")
        return (language, *_split_between(HANDLER, "---" + text[marker.end() :], "---"))
    if first == "+":
        if TOML_HANDLER.detect(text):
            return ("toml", *_split_between(TOML_HANDLER, text, "+++"))
        return None
    if first == "{" and _JSON_START.match(text):
        try:
            _, end = _JSON_DECODER.raw_decode(text)
        except ValueError as error:
            raise FrontMatterError(f"invalid JSON: {error}") from None
        except RecursionError:
            raise FrontMatterError("front matter is nested too deeply") from None
        body = text[end:]
        return "json", text[:end], body[1:] if body.startswith("\n") else body
    return None


def _split_between(handler: BaseHandler, text: str, fence: str) -> tuple[str, str]:
    try:
        return handler.split(text)
    except ValueError:  # an opening line but no closing one
        raise FrontMatterError(f"front matter has no closing '{fence}' line") from None


def read(text: str) -> tuple[Any, str] | None:
    """(parsed front matter, body), or None when the text starts with none.

    Raises FrontMatterError, with one line saying why, for a front matter that
    cannot be read; never anything else for anything the text holds.
    """
    found = split(text)
    if found is None:
        return None
    language, source, body = found
    try:
        if language == "yaml":
            value = parse_yaml(source)
        elif language == "toml":
            value = parse_toml(source)
        else:
            value = parse_json(source)
    except FrontMatterError:
        raise
    except RecursionError:
        raise FrontMatterError("front matter is nested too deeply") from None
    except Exception as error:  # the parser's own complaint: that is the reason
        raise FrontMatterError(f"invalid {_FORMAT_NAMES[language]}: {error}") from None
    return value, body
