"""The article records: immutable, normalised, safe to show.

Every field here has exactly one type. Loading (``loading.py``) is the only
place that deals with what files really contain; everything else can trust
these records.

Two shapes of the same article exist on purpose:

* ``Article``, everything a file says, for the detail pane and the CLI;
* ``ArticleSummary``, only what the list, the tree and the sort orders need.
  A library of 100,000 articles keeps summaries in memory and fetches the
  full ``Article`` of the one being shown.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Provider:
    """The outlet or feed a story comes from."""

    name: str = ""
    domain: str = ""

    @property
    def label(self) -> str:
        return self.name or self.domain


@dataclass(frozen=True, slots=True)
class RelatedStory:
    """Another story on the same subject, as an article's ``related`` lists it."""

    title: str
    excerpt: str = ""
    url: str | None = None  # a safe http(s) link, or None
    published_at: datetime | None = None
    provider: Provider = field(default_factory=Provider)
    quality: int | None = None
    type: str = ""


@dataclass(frozen=True, slots=True)
class ArticleSummary:
    """What the list, the topic tree and the sort orders need of an article."""

    id: str  # identity: normalised webUrl, or the file's path without one
    path: str  # relative to the library folder, with "/"
    title: str
    provider: Provider
    category: str
    type: str
    quality: int | None
    heat: int | None
    published: bool  # False: a draft the curator has not released
    published_at: datetime | None
    topics: tuple[str, ...]
    url: str | None  # the link to open: originalUrl, else webUrl
    # Who wrote it (blogs' `author`, `authors`, `by`); the seed format has none.
    authors: tuple[str, ...] = ()

    @property
    def is_draft(self) -> bool:
        return not self.published


@dataclass(frozen=True, slots=True)
class Article:
    """Everything one article file says, normalised."""

    id: str
    path: str
    title: str
    excerpt: str
    body: str
    category: str
    type: str
    quality: int | None
    heat: int | None
    published: bool
    published_at: datetime | None
    provider: Provider
    topics: tuple[str, ...]
    web_url: str | None
    original_url: str | None
    amp_url: str | None
    cdn_amp_url: str | None
    related: tuple[RelatedStory, ...]
    authors: tuple[str, ...] = ()
    # Opaque encrypted payload: kept so nothing is lost, never shown or decoded.
    secured: str = field(default="", repr=False)
    # The excerpt was made from the body's opening (the front matter had none):
    # the detail pane, which shows the body, does not show it twice.
    excerpt_from_body: bool = False

    @property
    def url(self) -> str | None:
        """The link "open in browser" opens: the publisher's page first."""
        return self.original_url or self.web_url

    @property
    def is_draft(self) -> bool:
        return not self.published

    def summary(self) -> ArticleSummary:
        return ArticleSummary(
            id=self.id,
            path=self.path,
            title=self.title,
            provider=self.provider,
            category=self.category,
            type=self.type,
            quality=self.quality,
            heat=self.heat,
            published=self.published,
            published_at=self.published_at,
            topics=self.topics,
            url=self.url,
            authors=self.authors,
        )


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A file whose article is already in the library under another file."""

    path: str
    kept: str

    def __str__(self) -> str:
        return f"{self.path}: duplicate of {self.kept}"


@dataclass(frozen=True, slots=True)
class LoadError:
    """A file that could not be read as an article, and why, in one line."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def name_key(name: str) -> str:
    """What makes two topic, category or author names the same: ``AI``, ``ai``,
    ``Ai`` and the full-width ``ＡＩ`` are one name, and so are ``machine learning``
    and ``Machine  Learning`` with two spaces or a no-break space.

    Unicode's compatibility form (NFKC), case folded, runs of white space as one space.
    """
    if name.isascii():
        return " ".join(name.lower().split())
    return " ".join(unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold()).split())
