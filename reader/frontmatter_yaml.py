"""Splitting a file into front matter and body, and parsing the YAML safely and fast.

PyYAML (with libyaml's C loader where present) is the reference parser. The
Rust parser ``yaml_rs`` is an optional accelerator, about ten times faster on
seed-like files (MEASUREMENTS.md); it is used only where it is known to agree
with PyYAML, and anything it refuses or might read differently goes to PyYAML.
``tests/test_frontmatter_yaml.py`` checks that both give the same records.
"""

from __future__ import annotations

import re
from typing import Any

import frontmatter
import yaml

try:  # the optional accelerator (pip install "reader[fast]")
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

# Where YAML 1.1 (PyYAML) and YAML 1.2 (yaml_rs) disagree, or where yaml_rs is
# laxer than PyYAML, the file goes to PyYAML:
# - a tag (`!!python/object`, `!foo`): PyYAML refuses it, yaml_rs ignores it;
# - yes/no/on/off/y/n as plain scalars: booleans in 1.1, text in 1.2;
# - 0o17 octal and other number spellings only one of them knows.
_NEEDS_REFERENCE = re.compile(
    r"(?:^|[\s\[{,])!"
    r"|[:\-\[,]\s*(?:[yY]|[nN]|[yY]es|YES|[nN]o|NO|[oO]n|ON|[oO]ff|OFF)\s*(?:$|[,\]}#])"
    r"|[:\-\[,]\s*[-+]?0[oxb]",
    re.MULTILINE,
)
_ACCELERATOR_MAX_CHARS = 64 * 1024


class ArticleFrontMatter(frontmatter.YAMLHandler):
    """python-frontmatter's YAML handler with the parsing described above."""

    def load(self, fm: str, **kwargs: object) -> Any:
        return parse_yaml(fm)


HANDLER = ArticleFrontMatter()


def parse_yaml(source: str, *, accelerate: bool = True) -> Any:
    """Parse one front matter; raises ``yaml.YAMLError`` (or ValueError) when it is not YAML."""
    if (
        accelerate
        and yaml_rs is not None
        and len(source) <= _ACCELERATOR_MAX_CHARS
        and not _NEEDS_REFERENCE.search(source)
    ):
        try:
            return yaml_rs.loads(source)
        except Exception:  # noqa: BLE001 - any refusal is settled by the reference parser
            pass
    return yaml.load(source, Loader=ArticleLoader)  # noqa: S506 - a safe loader


def split(text: str) -> tuple[str, str] | None:
    """(front matter, body), or None when the text does not start with a front matter."""
    if not HANDLER.detect(text):
        return None
    try:
        fm, body = HANDLER.split(text)
    except ValueError:  # an opening --- but no closing one
        raise ValueError("front matter has no closing '---' line") from None
    return fm, body


def accelerator_name() -> str:
    return "yaml_rs" if yaml_rs is not None else "PyYAML"
