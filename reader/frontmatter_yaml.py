"""Splitting a file into front matter and body, and parsing the YAML safely and fast.

PyYAML (with libyaml's C loader where present) is the reference parser. The
Rust parser ``yaml_rs`` is an optional accelerator, about ten times faster on
seed-like files (measured on the development machine); it is used only where
it is known to agree with PyYAML, and anything it refuses or might read
differently goes to PyYAML. ``tests/test_loading.py`` checks that both give
the same records.
"""

from __future__ import annotations

import re
import threading
from datetime import time
from typing import Any

import frontmatter
import yaml

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
_ACCELERATOR_MAX_CHARS = 64 * 1024
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


# python-frontmatter finds and splits the front matter; parsing is ours (above).
HANDLER = frontmatter.YAMLHandler()


def parse_yaml(source: str, *, accelerate: bool | None = None) -> Any:
    """Parse one front matter; raises ``yaml.YAMLError`` (or ValueError) when it is not YAML.

    ``accelerate``: try yaml_rs first; by default, where ``enable_accelerator`` was called.
    """
    if accelerate is None:
        accelerate = _accelerate
    if (
        accelerate
        and yaml_rs is not None
        and len(source) <= _ACCELERATOR_MAX_CHARS
        and not _source_needs_reference(source)
    ):
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


def split(text: str) -> tuple[str, str] | None:
    """(front matter, body), or None when the text does not start with a front matter."""
    if not HANDLER.detect(text):
        return None
    try:
        fm, body = HANDLER.split(text)
    except ValueError:  # an opening --- but no closing one
        raise ValueError("front matter has no closing '---' line") from None
    return fm, body
