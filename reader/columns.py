"""The library's articles as compact columns.

A million ``ArticleSummary`` objects take gigabytes and seconds to build, and
the list, the tree and the sort orders need only a few values of each
article. Here each field is one column: numbers in arrays, text in one buffer
with offsets, and values that repeat (providers, categories, topic lists) as
codes into a small table. A summary object is made only for the rows someone
looks at (the forty on screen, the one in the detail pane).

Columns are plain bytes and arrays, so a whole library is written to the
cache and read back in one piece (``snapshot.py``): no row to parse at start.
"""

from __future__ import annotations

import itertools
import math
from array import array
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import TypeVar

from .model import ArticleSummary

T = TypeVar("T")

NO_SCORE = -1  # scores are 0..1,000,000 (loading.to_score): -1 is "none"
NO_DATE = math.nan
_SAME_AS_ID = "="  # in the url column: the article's id is its URL
_SEPARATOR = "\0"  # in no path (POSIX forbids it) and in no cleaned text


class TextColumn(Sequence[str]):
    """Many strings in one UTF-8 buffer, separated by NUL, with each one's start.

    Lone surrogates (names that are not UTF-8) survive: they are encoded with
    ``surrogatepass``. ``tolist`` decodes every string at C speed.
    """

    __slots__ = ("data", "starts")

    def __init__(self, data: bytes, starts: array) -> None:
        self.data = data  # the strings, each followed by NUL
        self.starts = starts  # len + 1 offsets: string i is data[starts[i]:starts[i + 1] - 1]

    @classmethod
    def of(cls, texts: Iterable[str]) -> TextColumn:
        texts = list(texts)
        if not texts:
            return cls(b"", array("q", [0]))
        data = (_SEPARATOR.join(texts) + _SEPARATOR).encode("utf-8", "surrogatepass")
        pieces = data.split(b"\0")
        pieces.pop()  # the empty piece after the last separator
        if len(pieces) != len(texts):
            raise ValueError("a text column cannot hold a NUL character")
        # Each string's start: the running sum of the byte lengths before it, separators included.
        starts = array("I" if len(data) < 2**32 else "q", [0])  # 4 bytes an offset, under 4 GB of text
        starts.extend(itertools.accumulate(map((1).__add__, map(len, pieces))))
        return cls(data, starts)

    def __len__(self) -> int:
        return len(self.starts) - 1

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        starts = self.starts
        return self.data[starts[index] : starts[index + 1] - 1].decode("utf-8", "surrogatepass")

    def __iter__(self) -> Iterator[str]:
        return iter(self.tolist())

    def tolist(self) -> list[str]:
        if not len(self):
            return []
        texts = self.data.decode("utf-8", "surrogatepass").split(_SEPARATOR)
        texts.pop()  # the empty string after the last separator
        return texts


class ArticleColumns(Sequence[ArticleSummary]):
    """Every summary of a library, column by column; ``columns[i]`` makes one summary."""

    __slots__ = (
        "_id_list",
        "author_codes",
        "author_lists",
        "categories",
        "category_codes",
        "dates",
        "heat",
        "ids",
        "paths",
        "provider_codes",
        "providers",
        "published",
        "quality",
        "titles",
        "topic_codes",
        "topic_lists",
        "type_codes",
        "types",
        "urls",
    )

    def __init__(self, **columns: object) -> None:
        for name in self.__slots__:
            if name != "_id_list":
                setattr(self, name, columns[name])
        self._id_list: list[str] | None = None

    @classmethod
    def of(cls, summaries: Sequence[ArticleSummary]) -> ArticleColumns:
        def column(name: str) -> list:
            return list(map(attrgetter(name), summaries))

        ids, urls = column("id"), column("url")
        providers, provider_codes = _coded(column("provider"))
        categories, category_codes = _coded(column("category"))
        types, type_codes = _coded(column("type"))
        topic_lists, topic_codes = _coded(column("topics"))
        author_lists, author_codes = _coded(column("authors"))
        return cls(
            ids=TextColumn.of(ids),
            paths=TextColumn.of(column("path")),
            titles=TextColumn.of(column("title")),
            # Most articles open the URL that is their identity: "=" says so (no URL starts with it).
            urls=TextColumn.of(_SAME_AS_ID if url == id_ else url or "" for url, id_ in zip(urls, ids, strict=True)),
            quality=array("i", [NO_SCORE if v is None else v for v in column("quality")]),
            heat=array("i", [NO_SCORE if v is None else v for v in column("heat")]),
            dates=array("d", [NO_DATE if d is None else d.timestamp() for d in column("published_at")]),
            published=bytes(column("published")),
            provider_codes=provider_codes,
            providers=providers,
            category_codes=category_codes,
            categories=categories,
            type_codes=type_codes,
            types=types,
            topic_codes=topic_codes,
            topic_lists=topic_lists,
            author_codes=author_codes,
            author_lists=author_lists,
        )

    def __len__(self) -> int:
        return len(self.quality)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        quality, heat, date = self.quality[index], self.heat[index], self.dates[index]
        return ArticleSummary(
            id=self.ids[index],
            path=self.paths[index],
            title=self.titles[index],
            provider=self.providers[self.provider_codes[index]],
            category=self.categories[self.category_codes[index]],
            type=self.types[self.type_codes[index]],
            quality=None if quality == NO_SCORE else quality,
            heat=None if heat == NO_SCORE else heat,
            published=bool(self.published[index]),
            published_at=None if date != date else datetime.fromtimestamp(date, UTC),  # NaN: no date
            topics=self.topic_lists[self.topic_codes[index]],
            url=self._url(index),
            authors=self.author_lists[self.author_codes[index]],
        )

    def id_list(self) -> list[str]:
        """Every id as a list, made once and shared (the library, the search index and the
        reading state look ids up by index; at 1,000,000 articles one copy is 110 MB)."""
        ids = self._id_list
        if ids is None:
            ids = self._id_list = self.ids.tolist()
        return ids

    def _url(self, index: int) -> str | None:
        url = self.urls[index]
        return self.ids[index] if url == _SAME_AS_ID else url or None

    def __iter__(self) -> Iterator[ArticleSummary]:
        for index in range(len(self)):
            yield self[index]

    def __eq__(self, other: object) -> bool:
        """Equal to any sequence of the same summaries (a list of them, or other columns)."""
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def check(self) -> None:
        """Raise ValueError unless every column has one value per article and every code has its value."""
        n = len(self)
        lengths = {
            len(column)
            for column in (self.ids, self.paths, self.titles, self.urls, self.heat, self.dates, self.published)
        }
        coded = (
            (self.provider_codes, self.providers),
            (self.category_codes, self.categories),
            (self.type_codes, self.types),
            (self.topic_codes, self.topic_lists),
            (self.author_codes, self.author_lists),
        )
        lengths.update(len(codes) for codes, _ in coded)
        if lengths - {n}:
            raise ValueError("columns of different lengths")
        for codes, values in coded:
            if n and (min(codes) < 0 or max(codes) >= len(values)):
                raise ValueError("a code with no value")


def _coded(values: list[T]) -> tuple[list[T], array]:
    """Each distinct value once (in the order first seen), and each value's number in that list."""
    numbers: dict[T, int] = {}
    codes = array("i", [numbers.setdefault(value, len(numbers)) for value in values])
    return list(numbers), codes
