"""Which front-matter keys each article field is read from.

The reader's own names (the seed format's) come first; then the names a user
adds in the ``[fields]`` table of ``config.toml``; then the usual names of the
tools that write Markdown folders (Hugo, Jekyll, Zola, Eleventy, Astro, Go's
blog, Obsidian). The first key present with a usable value wins, except for
topics, which are merged from every name.

A name with a dot (``taxonomies.tags``) is a path into nested mappings, as
Zola's ``[taxonomies]`` and Hugo's ``[params]`` tables put them; a key that
really contains a dot is found first.

``FieldNames`` is a small frozen value, so it pickles into the parsing
processes with each chunk of files and can key the cache: what an article
says depends on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

from .text import escape_name

MAX_NAMES_PER_FIELD = 20  # a config file cannot make every lookup slow


@dataclass(frozen=True, slots=True)
class FieldNames:
    """For each field of an article, the keys it is read from, first first."""

    title: tuple[str, ...] = ("title",)
    # `published` counts only when it holds a date (Hugo's alias of publishDate);
    # as a boolean it is the seed's "released or draft".
    date: tuple[str, ...] = (
        "publishedDateTime",
        "date",
        "publishDate",
        "publishdate",
        "pubDate",
        "pubdate",
        "published",
        "created",
    )
    excerpt: tuple[str, ...] = ("excerpt", "summary", "description", "subtitle")
    # Merged, not first-wins: a post's tags and keywords are all its topics.
    topics: tuple[str, ...] = ("topics", "tags", "keywords", "taxonomies.tags")
    category: tuple[str, ...] = ("category",)
    # Read when no category is given: the first one listed.
    categories: tuple[str, ...] = ("categories", "taxonomies.categories")
    authors: tuple[str, ...] = (
        "authors",
        "author",
        "by",
        "params.authors",
        "params.author",
        "extra.authors",
        "extra.author",
    )
    # The article's web address (its identity, and the page to open when there
    # is no originalUrl). Only http(s) counts: Hugo's `url: /about/` is a path
    # on the site, not a link.
    link: tuple[str, ...] = ("webUrl", "url", "link", "canonical_url", "canonicalURL")
    # `draft: true` (Hugo, Zola, Astro) makes a draft, as `published: false` does.
    draft: tuple[str, ...] = ("draft",)
    # The first part of every dotted name ("params", "extra", "taxonomies"),
    # and these names without the dotted ones: a front matter with none of
    # those keys is read with plain dict lookups of the plain names only, so
    # the seed format's cold load pays nothing for the other tools' names.
    nests: frozenset[str] = field(init=False, repr=False, compare=False, hash=False)
    flat: FieldNames = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        heads = {name.split(".", 1)[0] for key in FIELD_KEYS for name in getattr(self, key) if "." in name}
        object.__setattr__(self, "nests", frozenset(heads))
        if heads:
            plain = {key: tuple(name for name in getattr(self, key) if "." not in name) for key in FIELD_KEYS}
            object.__setattr__(self, "flat", replace(self, **plain))
        else:
            object.__setattr__(self, "flat", self)

    def with_names(self, extra: Mapping[str, tuple[str, ...]]) -> FieldNames:
        """These names plus a user's: each goes right after the reader's own name
        for the field (``publishedDateTime``, ``excerpt``, ...), before the usual ones."""
        changes = {}
        for name, added in extra.items():
            current = getattr(self, name)
            own = current[:1] if current and current[0] == _OWN_NAMES.get(name) else ()
            changes[name] = tuple(dict.fromkeys((*own, *added, *current)))
        return replace(self, **changes)

    def signature(self) -> str:
        """A short text that changes whenever any name does: for keying a cache."""
        return ";".join(f"{key}={','.join(getattr(self, key))}" for key in FIELD_KEYS)


FIELD_KEYS = tuple(f.name for f in fields(FieldNames) if f.init)
DEFAULT_FIELDS = FieldNames()

# The seed format's own key for each field; a user's names come after it.
_OWN_NAMES = {
    "title": "title",
    "date": "publishedDateTime",
    "excerpt": "excerpt",
    "topics": "topics",
    "category": "category",
    "link": "webUrl",
}


def field_names_from_table(table: object) -> tuple[FieldNames, list[str]]:
    """The field names a config file's ``[fields]`` table asks for, and one warning per mistake.

    ``table`` is what ``tomllib`` gave for ``[fields]``: each key is a field
    (``date``, ``excerpt``, ...) and each value a key name or a list of them,
    for example ``date = ["released_on"]``. A mistake never stops the reader:
    that entry is ignored and named in a warning (the caller adds the file's name).
    """
    if not isinstance(table, Mapping):
        return DEFAULT_FIELDS, ["[fields] should be a table of field = [names]; ignored"]
    warnings = []
    extra: dict[str, tuple[str, ...]] = {}
    for field_name, value in table.items():
        if field_name not in FIELD_KEYS:
            warnings.append(
                f"unknown field {_quoted(field_name)} in [fields] ignored (fields: {', '.join(FIELD_KEYS)})"
            )
            continue
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            warnings.append(f"fields.{field_name} should be a key name or a list of key names in quotes; ignored")
            continue
        if len(names) > MAX_NAMES_PER_FIELD:
            warnings.append(
                f"fields.{field_name} lists over {MAX_NAMES_PER_FIELD} names; the first {MAX_NAMES_PER_FIELD} are used"
            )
        extra[field_name] = tuple(n.strip() for n in names[:MAX_NAMES_PER_FIELD])
    return DEFAULT_FIELDS.with_names(extra), warnings


def _quoted(value: object, limit: int = 40) -> str:
    """A key from the config file, quoted and escaped, cut to a readable length."""
    text = str(value)
    text = text if len(text) <= limit else text[:limit] + "…"
    return f"'{escape_name(text)}'"
