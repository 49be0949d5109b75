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
import functools
import threading
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, TypeVar

from .columns import NO_SCORE, ArticleColumns
from .model import Article, ArticleSummary, Duplicate, LoadError, name_key

if TYPE_CHECKING:  # the search language is imported when first used: start-up does not pay for it
    from .query import Query, SearchIndex
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


class NodeKind(StrEnum):
    """What a tree node stands for."""

    ALL = "all"
    TOPIC = "topic"
    CATEGORY = "category"
    PROVIDER = "provider"
    # The tree's grouping branches: they have no articles of their own.
    TOPICS = "topics"
    CATEGORIES = "categories"
    PROVIDERS = "providers"
    # Nodes whose articles depend on the reading state, not on the library.
    UNREAD = "unread"
    STARRED = "starred"
    NEW = "new"
    SEARCHES = "searches"  # the branch of saved searches
    SEARCH = "search"  # one saved search: ``Node.query`` holds its text

    @property
    def is_group(self) -> bool:
        return self in (NodeKind.TOPICS, NodeKind.CATEGORIES, NodeKind.PROVIDERS, NodeKind.SEARCHES)

    @property
    def is_state(self) -> bool:
        return self in (NodeKind.UNREAD, NodeKind.STARRED, NodeKind.NEW)


_STATE_LABELS = {NodeKind.UNREAD: "Unread", NodeKind.STARRED: "Starred", NodeKind.NEW: "New since last run"}


@dataclass(frozen=True, slots=True)
class Node:
    """A place in the topic tree; ``members`` of a Library says which articles sit there."""

    kind: NodeKind
    name: str = ""
    category: str | None = None  # a topic within one category, when the tree groups them
    query: str = ""  # a saved search's query, in the search language (query.py)

    @property
    def label(self) -> str:
        if self.kind == NodeKind.ALL:
            return "All articles"
        if self.kind in _STATE_LABELS:
            return _STATE_LABELS[NodeKind(self.kind)]
        if self.kind == NodeKind.TOPIC and self.category is not None:
            return f"{self.category} › {self.name}"
        return self.name or "(none)"


ALL = Node(NodeKind.ALL)
UNREAD = Node(NodeKind.UNREAD)
STARRED = Node(NodeKind.STARRED)
NEW = Node(NodeKind.NEW)


class Marks(Protocol):
    """What the library needs of the reading state (``state.ReadingState``): sets of article ids."""

    read: frozenset[str]
    starred: frozenset[str]
    new: frozenset[str]


@dataclass(frozen=True, slots=True)
class ListQuery:
    """Everything that decides what the article list shows, as one value.

    The screen holds one of these; changing the node, the order or (to come)
    the search text or an unread-only filter is one new value, and one
    watcher turns it into the list, the status line and the detail pane.
    """

    node: Node = ALL
    sort: SortKey = SortKey.QUALITY
    reverse: bool = False
    search: Query | None = None  # what the search line says (None: no search)
    everywhere: bool = False  # search every article, not only the node's

    @property
    def arrow(self) -> str:
        """Which way the order runs on screen: titles A→Z read as "up"."""
        return "↑" if self.reverse != (self.sort is SortKey.TITLE) else "↓"


# Views are cached per query; search queries will become keys, so the cache is bounded.
VIEW_CACHE_SIZE = 64


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
        is_symlink: Callable[[str], bool] | None = None,
    ) -> None:
        """``is_symlink(path)``: whether a file is a symlink; of two copies of one
        article, a real file is kept over a symlink (asked only of duplicates)."""
        self.errors = list(errors)
        self.skipped = list(skipped)
        self.complete = complete  # False while a folder is still loading
        self._fetch = fetch
        kept: list[ArticleSummary] = []
        by_id: dict[str, int] = {}
        # Which copy is kept never depends on the order summaries come in (the
        # order a folder was walked): a real file before a symlink, then the first path.
        dropped: list[tuple[str, str]] = []  # (path, id)
        for summary in summaries:
            index = by_id.get(summary.id)
            if index is not None:
                other = kept[index]
                if _preferred(summary.path, other.path, is_symlink):
                    kept[index], summary = summary, other
                dropped.append((summary.path, summary.id))
                continue
            by_id[summary.id] = len(kept)
            kept.append(summary)
        self.duplicates = [Duplicate(path, kept[by_id[article_id]].path) for path, article_id in sorted(dropped)]
        self.articles = ArticleColumns.of(kept)
        self._by_id = by_id
        self._start()
        self._index_nodes()

    @classmethod
    def from_parts(
        cls,
        articles: ArticleColumns,
        members: dict[Node, array],
        orders: dict[SortKey, tuple[array, array, int]],
        *,
        duplicates: Sequence[Duplicate] = (),
        errors: Sequence[LoadError] = (),
        skipped: Sequence[object] = (),
        fetch: Callable[[ArticleSummary], Article | None] = _no_details,
        complete: bool = True,
    ) -> Library:
        """A library from what another computed (a snapshot from the cache): nothing is sorted again.

        ``members`` are the tree nodes' articles (ALL included), ``orders`` each sort key's order.
        """
        library = cls.__new__(cls)
        library.errors, library.skipped, library.duplicates = list(errors), list(skipped), list(duplicates)
        library.complete = complete
        library._fetch = fetch
        library.articles = articles
        library._by_id = None
        library._start()
        library._members = members
        library._orders = dict(orders)
        library._count_nodes()
        return library

    def _start(self) -> None:
        self._members: dict[Node, array] = {}
        self._orders: dict[SortKey, tuple[array, array, int]] = {}
        self._views: OrderedDict[tuple[Node, SortKey, bool], array] = OrderedDict()
        self._ties: tuple[list[int], list[int], list[float]] | None = None
        self._id_list: list[str] | None = None
        self._search_index: SearchIndex | None = None
        self._marks_counted: tuple[Marks, dict[Node, int]] | None = None
        self._unread_counted: tuple[frozenset[str], dict[Node, int]] | None = None
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.articles)

    # --- the tree --------------------------------------------------------

    def _index_nodes(self) -> None:
        columns = self.articles
        # Grouped by codes first (a pass over three int arrays), named after.
        by_category: dict[int, array] = {}
        by_provider: dict[int, array] = {}
        by_category_topics: dict[tuple[int, int], array] = {}
        for index, (category, provider, topics) in enumerate(
            zip(columns.category_codes, columns.provider_codes, columns.topic_codes, strict=True)
        ):
            by_category.setdefault(category, array("i")).append(index)
            by_provider.setdefault(provider, array("i")).append(index)
            by_category_topics.setdefault((category, topics), array("i")).append(index)
        category_names, topic_lists = columns.categories, columns.topic_lists
        categories = _joined((category_names[code], m) for code, m in by_category.items())
        providers = _joined((columns.providers[code].label, m) for code, m in by_provider.items())
        topics = _joined((topic, m) for (_, code), m in by_category_topics.items() for topic in topic_lists[code])
        by_category_topic = _joined(
            ((category_names[category], topic), m)
            for (category, code), m in by_category_topics.items()
            for topic in topic_lists[code]
        )
        # "AI", "ai" and "Ai" are one node, shown as most of its articles spell it.
        topics, topic_shown = _merged(topics)
        categories, category_shown = _merged(categories)
        if len(topic_shown) != len(topics) or len(category_shown) != len(categories):
            by_category_topic = _joined(
                ((category_shown[category], topic_shown[topic]), m) for (category, topic), m in by_category_topic.items()
            )
        members = self._members
        members[ALL] = array("i", range(len(columns)))
        for name, m in topics.items():
            members[Node(NodeKind.TOPIC, name)] = m
        for name, m in categories.items():
            members[Node(NodeKind.CATEGORY, name)] = m
        for name, m in providers.items():
            members[Node(NodeKind.PROVIDER, name)] = m
        for (category, topic), m in by_category_topic.items():
            members[Node(NodeKind.TOPIC, topic, category)] = m
        self._count_nodes()

    def _count_nodes(self) -> None:
        """The tree's counts, from the members of each node."""
        topics: dict[str, int] = {}
        categories: dict[str, int] = {}
        providers: dict[str, int] = {}
        by_category: dict[str, dict[str, int]] = {}
        for node, m in self._members.items():
            kind = node.kind
            if kind == NodeKind.TOPIC:
                if node.category is None:
                    topics[node.name] = len(m)
                else:
                    by_category.setdefault(node.category, {})[node.name] = len(m)
            elif kind == NodeKind.CATEGORY:
                categories[node.name] = len(m)
            elif kind == NodeKind.PROVIDER:
                providers[node.name] = len(m)
        self.topic_counts = dict(sorted(topics.items(), key=_casefold_first))
        self.category_counts = dict(sorted(categories.items(), key=_casefold_first))
        self.provider_counts = dict(sorted(providers.items(), key=_casefold_first))
        self.category_topic_counts: dict[str, dict[str, int]] = {
            category: dict(sorted(by_category[category].items(), key=_casefold_first))
            for category in sorted(by_category, key=lambda name: (name.casefold(), name))
        }

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
        columns = self.articles
        n = len(columns)
        by_title, tie_order, dates = self._tie_orders()
        if key is SortKey.TITLE:
            order, with_value = by_title, n
        elif key is SortKey.DATE:
            order, with_value = tie_order, n - dates.count(_MISSING)
        else:
            values = columns.quality if key is SortKey.QUALITY else columns.heat
            sort_values = [-v if v != NO_SCORE else _MISSING for v in values]
            order = sorted(tie_order, key=sort_values.__getitem__)
            with_value = n - values.count(NO_SCORE)
        rank = array("i", bytes(4 * n))
        for position, index in enumerate(order):
            rank[index] = position
        result = (array("i", order), rank, with_value)
        self._orders[key] = result
        return result

    def _tie_orders(self) -> tuple[list[int], list[int], list[float]]:
        """(by title, by date then title, negated dates): shared by every key's order, computed once.

        Titles equal but for case are ordered by date (newest first), then by
        path; so is everything else in the end, never by the order files came in.
        Python's sort is stable: each sort keeps the order of the one before among its ties.
        """
        if self._ties is None:
            columns = self.articles
            dates = [_MISSING if d != d else -d for d in columns.dates]  # NaN: no date
            # The loader hands articles over in path order, where this sort is a single pass.
            by_path = sorted(range(len(columns)), key=columns.paths.tolist().__getitem__)
            by_date_path = sorted(by_path, key=dates.__getitem__)
            by_title = sorted(by_date_path, key=[t.casefold() for t in columns.titles.tolist()].__getitem__)
            self._ties = (by_title, sorted(by_title, key=dates.__getitem__), dates)
        return self._ties

    def view(self, node: Node, key: SortKey = SortKey.QUALITY, reverse: bool = False) -> Sequence[int]:
        """Indexes of the node's articles in the given order (cached).

        Reversed, the articles that have a value are reversed and those
        without it stay at the end: "no data" is never the top of a list.
        """
        cache_key = (node, key, reverse)
        with self._lock:
            view = self._views.get(cache_key)
            if view is not None:
                self._views.move_to_end(cache_key)
                return view
            order, rank, with_value = self._global_order(key)
            members = self._members.get(node, array("i"))
            ordered = order if node == ALL else array("i", sorted(members, key=rank.__getitem__))
            if reverse:
                split = bisect.bisect_left(ordered, with_value, key=rank.__getitem__)
                head = ordered[:split]
                head.reverse()
                ordered = head + ordered[split:]
            self._views[cache_key] = ordered
            if len(self._views) > VIEW_CACHE_SIZE:
                self._views.popitem(last=False)
        return ordered

    def view_of(self, query: ListQuery, marks: Marks | None = None) -> Sequence[int]:
        """The indexes the list shows for a query.

        Unread, Starred and New are All articles, in the query's order, kept or
        dropped by the reading state: a pass over the order (about 10 ms at
        100,000), not cached, since the state changes with every mark.
        """
        node = ALL if query.everywhere and query.search is not None else query.node
        rows = self._node_view(node, query, marks)
        if query.search is None or query.search.is_everything:
            return rows
        return self.search_index.filter(query.search, marks, rows)

    def _node_view(self, node: Node, query: ListQuery, marks: Marks | None) -> Sequence[int]:
        kind = NodeKind(node.kind)
        if kind is NodeKind.SEARCH:
            saved = _saved_query(node.query)
            rows = self.view(ALL, query.sort, query.reverse)
            return self.search_index.filter(saved, marks, rows) if saved is not None else array("i")
        if not kind.is_state:
            return self.view(node, query.sort, query.reverse)
        ordered = self.view(ALL, query.sort, query.reverse)
        if marks is None:
            return array("i")
        ids = self._ids()
        if node.kind == NodeKind.UNREAD:
            read = marks.read
            return array("i", [i for i in ordered if ids[i] not in read])
        wanted = marks.starred if node.kind == NodeKind.STARRED else marks.new
        if not wanted:
            return array("i")
        return array("i", [i for i in ordered if ids[i] in wanted])

    def count_of(self, node: Node, marks: Marks | None = None) -> int:
        """How many articles a node has, the reading-state nodes and saved searches included."""
        if node.kind == NodeKind.SEARCH:
            saved = _saved_query(node.query)
            return self.search_index.count(saved, marks) if saved is not None else 0
        if not NodeKind(node.kind).is_state:
            return self.count(node)
        if marks is None:
            return 0
        # A pass over every id: the status line and the tree ask for the same counts
        # after each mark, so the last reading state's counts are kept.
        if self._marks_counted is None or self._marks_counted[0] is not marks:
            self._marks_counted = (marks, {})
        counts = self._marks_counted[1]
        if node not in counts:
            if node.kind == NodeKind.UNREAD:
                counts[node] = len(self) - self._count_in(marks.read)
            else:
                counts[node] = self._count_in(marks.starred if node.kind == NodeKind.STARRED else marks.new)
        return counts[node]

    def _count_in(self, ids: frozenset[str]) -> int:
        if not ids:
            return 0
        return sum(1 for article_id in self._ids() if article_id in ids)

    def unread_counts(self, read: frozenset[str]) -> dict[Node, int]:
        """Unread articles per tree node, for labels like ``AI 12/150`` (one pass per member list).

        The last answer is kept: the session counts in its thread (``precount``) what the
        tree then asks for on the UI thread (at 1,000,000 articles, most of a second).
        """
        counted = self._unread_counted
        if counted is not None and counted[0] is read:
            return counted[1]
        ids = self._ids()
        unread = [article_id not in read for article_id in ids]
        flag = unread.__getitem__
        counts = {node: sum(map(flag, members)) for node, members in self._members.items()}
        self._unread_counted = (read, counts)
        return counts

    def precount(self, marks: Marks) -> None:
        """Count now (from a worker thread) what the tree and the status line will ask with this reading state."""
        self.unread_counts(marks.read)
        for node in (UNREAD, STARRED, NEW):
            self.count_of(node, marks)

    @property
    def search_index(self) -> SearchIndex:
        """The search index of these articles, built on first use (``prepare`` builds it in a worker)."""
        if self._search_index is None:
            from .query import SearchIndex

            with self._lock:
                if self._search_index is None:
                    self._search_index = SearchIndex(self.articles)
        return self._search_index

    def ids(self) -> list[str]:
        """Every article's id by index (shared: do not change it)."""
        return self._ids()

    def _ids(self) -> list[str]:
        """Every article's id by index, computed once (the reading state is keyed by id)."""
        if self._id_list is None:
            self._id_list = self.articles.id_list()
        return self._id_list

    def completed(self) -> Library:
        """This library marked complete, sharing every index (the loader found nothing new).

        A copy, not a change: the UI may be reading this object from another thread.
        """
        twin = copy.copy(self)
        twin.complete = True
        return twin

    def prepare(self, keys: Iterable[SortKey] = tuple(SortKey), *, search: bool = True) -> None:
        """Compute the global orders and the search index ahead of time (from a worker thread),
        so a sort switch is instant and the first keystroke of a search finds an index."""
        for key in keys:
            with self._lock:
                self._global_order(key)
        self._ties = None  # only the orders needed them: kept, they are three lists per article
        if search:
            self.search_index.prepare()

    # --- lookups -------------------------------------------------------------

    def index_of(self, article_id: str) -> int | None:
        return self._index_by_id().get(article_id)

    def _index_by_id(self) -> dict[str, int]:
        if self._by_id is None:  # a library from a snapshot: made on first use
            with self._lock:
                if self._by_id is None:
                    self._by_id = {article_id: index for index, article_id in enumerate(self._ids())}
        return self._by_id

    def find_url(self, url: str | None) -> int | None:
        """The library article whose identity is this URL (a related story's webUrl)."""
        safe = safe_url(url)
        return self._index_by_id().get(identity_url(safe)) if safe else None

    def article(self, index: int) -> Article | None:
        """The full record of one article, read from its file when asked (see FolderLoader.fetch)."""
        return self._fetch(self.articles[index])


_MISSING = float("inf")  # sorts after every real value
K = TypeVar("K")


@functools.lru_cache(maxsize=64)
def _saved_query(text: str) -> Query | None:
    """A saved search's query (config.toml); None when it does not parse (reported at start)."""
    from .query import QueryError, parse

    try:
        return parse(text)
    except QueryError:
        return None


def _casefold_first(item: tuple[str, object]) -> tuple[str, str]:
    return (item[0].casefold(), item[0])


def _preferred(path: str, other: str, is_symlink: Callable[[str], bool] | None) -> bool:
    """Whether ``path`` is kept over ``other``, a copy of the same article: a real file over a symlink, then the first path."""
    if is_symlink is not None:
        path_is_link, other_is_link = is_symlink(path), is_symlink(other)
        if path_is_link != other_is_link:
            return other_is_link
    return path < other


def _joined(groups: Iterable[tuple[K, array]]) -> dict[K, array]:
    """Members by name, where several groups can share a name: their members merged, in index order."""
    joined: dict[K, array] = {}
    merged: set[K] = set()
    for name, members in groups:
        if name in joined:
            if name not in merged:
                joined[name] = array("i", joined[name])  # a copy: the first group's array is shared
                merged.add(name)
            joined[name].extend(members)
        else:
            joined[name] = members
    for name in merged:
        joined[name] = array("i", sorted(set(joined[name])))
    return joined


def _merged(groups: dict[str, array]) -> tuple[dict[str, array], dict[str, str]]:
    """Members by name, with names that differ only in case, spacing or Unicode
    form (``name_key``) merged under the spelling most of their articles use
    (ties: alphabetical); and the name each spelling is shown under.

    Runs per distinct name, not per article: a library of 100,000 articles has a few thousand.
    """
    by_key: dict[str, list[str]] = {}
    for spelling in groups:
        by_key.setdefault(name_key(spelling), []).append(spelling)
    if len(by_key) == len(groups):  # nothing to merge: the usual case
        return groups, {spelling: spelling for spelling in groups}
    merged: dict[str, array] = {}
    shown: dict[str, str] = {}
    for spellings in by_key.values():
        name = min(spellings, key=lambda spelling: (-len(groups[spelling]), spelling))
        if len(spellings) == 1:
            merged[name] = groups[name]
        else:
            merged[name] = array("i", sorted(set().union(*(groups[spelling] for spelling in spellings))))
        for spelling in spellings:
            shown[spelling] = name
    return merged, shown
