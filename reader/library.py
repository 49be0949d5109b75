"""The index over a set of article summaries: topics, categories, providers, sort orders.

A ``Library`` is built once from summaries and then only read, so the UI can
swap in a newer one (while a folder loads) without locks. Everything costly
at 100,000 articles is computed once and cached: one global order per sort
key, and the member list of each tree node. A node's view in a given order is
its members sorted by their global rank, which is cheap and also cached.
"""

from __future__ import annotations

import bisect
import copy
import threading
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .model import Article, ArticleSummary, Duplicate, LoadError
from .text import identity_url, safe_url


class SortKey(StrEnum):
    """The orders the list offers, in the order the sort key cycles through them."""

    QUALITY = "quality"
    HEAT = "heat"
    DATE = "date"
    TITLE = "title"

    @property
    def label(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True)
class Node:
    """A place in the topic tree; ``members`` of a Library says which articles sit there."""

    # "all" | "category" | "topic" | "provider"; "topics" and "providers" are
    # the tree's grouping branches, which have no articles of their own.
    kind: str
    name: str = ""
    category: str | None = None  # a topic within one category, when the tree groups them

    @property
    def label(self) -> str:
        if self.kind == "all":
            return "All articles"
        if self.kind == "topic" and self.category is not None:
            return f"{self.category} › {self.name}"
        return self.name or "(none)"


ALL = Node("all")


def _no_details(summary: ArticleSummary) -> Article | None:
    return None


class Library:
    """Read-only index over summaries, plus what could not be loaded."""

    def __init__(
        self,
        summaries: Iterable[ArticleSummary],
        *,
        errors: Sequence[LoadError] = (),
        skipped: Sequence[object] = (),
        fetch: Callable[[ArticleSummary], Article | None] = _no_details,
        complete: bool = True,
    ) -> None:
        self.errors = list(errors)
        self.skipped = list(skipped)
        self.complete = complete  # False while a folder is still loading
        self._fetch = fetch
        self.articles: list[ArticleSummary] = []
        self.duplicates: list[Duplicate] = []
        self._by_id: dict[str, int] = {}
        for summary in summaries:
            kept = self._by_id.get(summary.id)
            if kept is not None:
                self.duplicates.append(Duplicate(summary.path, self.articles[kept].path))
                continue
            self._by_id[summary.id] = len(self.articles)
            self.articles.append(summary)
        self._members: dict[Node, array] = {}
        self._orders: dict[SortKey, tuple[array, array, int]] = {}
        self._views: dict[tuple[Node, SortKey, bool], array] = {}
        self._ties: tuple[list[int], list[int], list[float]] | None = None
        self._lock = threading.Lock()
        self._index_nodes()

    def __len__(self) -> int:
        return len(self.articles)

    # --- the tree --------------------------------------------------------

    def _index_nodes(self) -> None:
        topics: dict[str, array] = {}
        categories: dict[str, array] = {}
        providers: dict[str, array] = {}
        by_category_topic: dict[tuple[str, str], array] = {}
        for index, article in enumerate(self.articles):
            categories.setdefault(article.category, array("i")).append(index)
            providers.setdefault(article.provider.label, array("i")).append(index)
            for topic in article.topics:
                topics.setdefault(topic, array("i")).append(index)
                by_category_topic.setdefault((article.category, topic), array("i")).append(index)
        self.topic_counts = {name: len(members) for name, members in sorted(topics.items(), key=_casefold_first)}
        self.category_counts = {name: len(m) for name, m in sorted(categories.items(), key=_casefold_first)}
        self.provider_counts = {name: len(m) for name, m in sorted(providers.items(), key=_casefold_first)}
        self.category_topic_counts: dict[str, dict[str, int]] = {}
        for (category, topic), members in sorted(
            by_category_topic.items(), key=lambda kv: (kv[0][0].casefold(), kv[0][1].casefold())
        ):
            self.category_topic_counts.setdefault(category, {})[topic] = len(members)
        members = self._members
        members[ALL] = array("i", range(len(self.articles)))
        for name, m in topics.items():
            members[Node("topic", name)] = m
        for name, m in categories.items():
            members[Node("category", name)] = m
        for name, m in providers.items():
            members[Node("provider", name)] = m
        for (category, topic), m in by_category_topic.items():
            members[Node("topic", topic, category)] = m

    @property
    def grouped_by_category(self) -> bool:
        """The tree groups topics under categories only when there is more than one."""
        return len(self.category_counts) > 1

    def count(self, node: Node) -> int:
        members = self._members.get(node)
        return len(members) if members is not None else 0

    # --- sorting -----------------------------------------------------------

    def _global_order(self, key: SortKey) -> tuple[array, array, int]:
        """(order, rank, how many have a value) for one key, computed once.

        Scores and dates sort descending with articles lacking the value last;
        ties are broken by date (newest first), then title. Python's sort is
        stable, so sorting the tie-break order by the key gives exactly that.
        """
        cached = self._orders.get(key)
        if cached is not None:
            return cached
        articles = self.articles
        n = len(articles)
        by_title, tie_order, dates = self._tie_orders()
        if key is SortKey.TITLE:
            order, with_value = by_title, n
        elif key is SortKey.DATE:
            order, with_value = tie_order, sum(1 for d in dates if d != _MISSING)
        else:
            field = "quality" if key is SortKey.QUALITY else "heat"
            values = [getattr(a, field) for a in articles]
            sort_values = [-v if v is not None else _MISSING for v in values]
            order = sorted(tie_order, key=sort_values.__getitem__)
            with_value = n - values.count(None)
        rank = array("i", bytes(4 * n))
        for position, index in enumerate(order):
            rank[index] = position
        result = (array("i", order), rank, with_value)
        self._orders[key] = result
        return result

    def _tie_orders(self) -> tuple[list[int], list[int], list[float]]:
        """(by title, by date then title, negated dates): shared by every key's order, computed once."""
        if self._ties is None:
            articles = self.articles
            by_title = sorted(range(len(articles)), key=[a.title.casefold() for a in articles].__getitem__)
            dates = [-a.published_at.timestamp() if a.published_at else _MISSING for a in articles]
            self._ties = (by_title, sorted(by_title, key=dates.__getitem__), dates)
        return self._ties

    def view(self, node: Node, key: SortKey = SortKey.QUALITY, reverse: bool = False) -> Sequence[int]:
        """Indexes of the node's articles in the given order (cached).

        Reversed, the articles that have a value are reversed and those
        without it stay at the end: "no data" is never the top of a list.
        """
        cache_key = (node, key, reverse)
        view = self._views.get(cache_key)
        if view is not None:
            return view
        with self._lock:
            order, rank, with_value = self._global_order(key)
            members = self._members.get(node, array("i"))
            ordered = order if node == ALL else array("i", sorted(members, key=rank.__getitem__))
            if reverse:
                split = bisect.bisect_left(ordered, with_value, key=rank.__getitem__)
                head = ordered[:split]
                head.reverse()
                ordered = head + ordered[split:]
            self._views[cache_key] = ordered
        return ordered

    def completed(self) -> Library:
        """This library marked complete, sharing every index (the loader found nothing new).

        A copy, not a change: the UI may be reading this object from another thread.
        """
        twin = copy.copy(self)
        twin.complete = True
        return twin

    def prepare(self, keys: Iterable[SortKey] = tuple(SortKey)) -> None:
        """Compute the global orders ahead of time (from a worker thread), so a sort switch is instant."""
        for key in keys:
            with self._lock:
                self._global_order(key)

    # --- lookups -------------------------------------------------------------

    def index_of(self, article_id: str) -> int | None:
        return self._by_id.get(article_id)

    def find_url(self, url: str | None) -> int | None:
        """The library article whose identity is this URL (a related story's webUrl)."""
        safe = safe_url(url)
        return self._by_id.get(identity_url(safe)) if safe else None

    def article(self, index: int) -> Article | None:
        """The full record of one article, read from its file when asked (see FolderLoader.fetch)."""
        return self._fetch(self.articles[index])


_MISSING = float("inf")  # sorts after every real value


def _casefold_first(item: tuple[str, object]) -> tuple[str, str]:
    return (item[0].casefold(), item[0])
