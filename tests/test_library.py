"""reader.library: counts, tree nodes, sort orders, duplicates and related-link lookups."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from conftest import front_matter, write_article

from reader.folder_loader import FolderLoader
from reader.library import ALL, Library, Node, SortKey
from reader.model import ArticleSummary, Duplicate, LoadError, Provider
from reader.text import identity_url

BASE = datetime(2021, 6, 1, tzinfo=UTC)


def day(n: int) -> datetime:
    return BASE + timedelta(days=n)


def summary(
    title: str,
    *,
    quality: int | None = None,
    heat: int | None = None,
    published_at: datetime | None = None,
    topics: tuple[str, ...] = (),
    category: str = "news",
    provider: Provider | None = None,
    url: str | None = None,
    path: str | None = None,
    published: bool = True,
) -> ArticleSummary:
    path = path or f"{title.replace(' ', '_')}.md"
    return ArticleSummary(
        id=identity_url(url) if url else path,
        path=path,
        title=title,
        provider=provider if provider is not None else Provider("Wire", "wire.example"),
        category=category,
        type="article",
        quality=quality,
        heat=heat,
        published=published,
        published_at=published_at,
        topics=topics,
        url=url,
    )


def titles(library: Library, node: Node = ALL, key: SortKey = SortKey.QUALITY, reverse: bool = False) -> list[str]:
    return [library.articles[i].title for i in library.view(node, key, reverse)]


# --- counts and the tree ------------------------------------------------------------------


def make_counted() -> Library:
    return Library(
        [
            summary("a", topics=("AI", "Robotics"), category="news", provider=Provider("Wire", "wire.example")),
            summary("b", topics=("AI",), category="research", provider=Provider("Lab", "lab.example")),
            summary("c", topics=("ai", "Climate"), category="news", provider=Provider("", "bare.example")),
            summary("d", topics=(), category="", provider=Provider()),
            summary("e", topics=("AI",), category="news", provider=Provider("Wire", "other.example")),
        ]
    )


def test_topic_counts_count_each_article_under_every_topic_it_names():
    library = make_counted()
    assert library.topic_counts == {"AI": 3, "ai": 1, "Climate": 1, "Robotics": 1}


def test_topic_counts_are_in_case_insensitive_order():
    library = make_counted()
    assert list(library.topic_counts) == ["AI", "ai", "Climate", "Robotics"]


def test_category_counts_include_articles_without_a_category():
    library = make_counted()
    assert library.category_counts == {"": 1, "news": 3, "research": 1}


def test_provider_counts_use_the_name_else_the_domain():
    library = make_counted()
    assert library.provider_counts == {"": 1, "bare.example": 1, "Lab": 1, "Wire": 2}


def test_category_topic_counts_nest_topics_under_their_category():
    library = make_counted()
    assert library.category_topic_counts == {
        "news": {"AI": 2, "ai": 1, "Climate": 1, "Robotics": 1},
        "research": {"AI": 1},
    }


def test_count_of_nodes():
    library = make_counted()
    assert library.count(ALL) == 5
    assert library.count(Node("topic", "AI")) == 3
    assert library.count(Node("topic", "AI", "news")) == 2
    assert library.count(Node("category", "news")) == 3
    assert library.count(Node("provider", "Wire")) == 2
    assert library.count(Node("topic", "Nope")) == 0


def test_grouped_by_category_only_with_more_than_one_category():
    assert make_counted().grouped_by_category
    single = Library([summary("a", category="news"), summary("b", category="news")])
    assert not single.grouped_by_category


def test_views_of_topic_category_and_provider_nodes():
    library = make_counted()
    assert sorted(titles(library, Node("topic", "AI"), SortKey.TITLE)) == ["a", "b", "e"]
    assert titles(library, Node("topic", "AI", "news"), SortKey.TITLE) == ["a", "e"]
    assert titles(library, Node("topic", "AI", "research"), SortKey.TITLE) == ["b"]
    assert titles(library, Node("category", "news"), SortKey.TITLE) == ["a", "c", "e"]
    assert titles(library, Node("provider", "Wire"), SortKey.TITLE) == ["a", "e"]
    assert titles(library, Node("topic", "Nope"), SortKey.TITLE) == []


def test_node_labels():
    assert ALL.label == "All articles"
    assert Node("topic", "AI").label == "AI"
    assert Node("topic", "AI", "news").label == "news › AI"
    assert Node("category", "").label == "(none)"


def test_provider_counts_list_each_label_once():
    library = make_counted()
    assert sorted(library.provider_counts) == sorted(["Wire", "Lab", "bare.example", ""])


def test_an_empty_library():
    library = Library([])
    assert len(library) == 0
    assert list(library.view(ALL)) == []
    assert library.topic_counts == {} and library.category_counts == {}
    assert not library.grouped_by_category
    assert library.find_url("https://example.com/") is None


# --- sorting ------------------------------------------------------------------------------------


def make_scored() -> Library:
    return Library(
        [
            summary("mid", quality=50, heat=5, published_at=day(3)),
            summary("none-old", quality=None, heat=None, published_at=day(1)),
            summary("top", quality=90, heat=1, published_at=day(2)),
            summary("low", quality=10, heat=None, published_at=day(5)),
            summary("none-new", quality=None, heat=9, published_at=day(6)),
            summary("undated", quality=70, heat=7, published_at=None),
        ]
    )


def test_sort_by_quality_descending_missing_last():
    assert titles(make_scored(), key=SortKey.QUALITY) == ["top", "undated", "mid", "low", "none-new", "none-old"]


def test_sort_by_heat_descending_missing_last():
    assert titles(make_scored(), key=SortKey.HEAT) == ["none-new", "undated", "mid", "top", "low", "none-old"]


def test_sort_by_date_newest_first_missing_last():
    assert titles(make_scored(), key=SortKey.DATE) == ["none-new", "low", "mid", "top", "none-old", "undated"]


def test_sort_by_title_is_case_insensitive_ascending():
    library = Library([summary("banana"), summary("Cherry"), summary("apple"), summary("Apricot")])
    assert titles(library, key=SortKey.TITLE) == ["apple", "Apricot", "banana", "Cherry"]


def test_ties_are_broken_by_date_then_title():
    library = Library(
        [
            summary("b-old", quality=50, published_at=day(1)),
            summary("b-new", quality=50, published_at=day(9)),
            summary("a-new", quality=50, published_at=day(9)),
            summary("undated", quality=50, published_at=None),
            summary("best", quality=60, published_at=day(0)),
        ]
    )
    assert titles(library, key=SortKey.QUALITY) == ["best", "a-new", "b-new", "b-old", "undated"]
    assert titles(library, key=SortKey.HEAT) == ["a-new", "b-new", "b-old", "best", "undated"]


def test_date_ties_are_broken_by_title():
    library = Library(
        [summary("z", published_at=day(1)), summary("A", published_at=day(1)), summary("m", published_at=day(1))]
    )
    assert titles(library, key=SortKey.DATE) == ["A", "m", "z"]


def test_sorting_is_stable_for_complete_ties():
    paths = [f"{n}.md" for n in ("3", "1", "2")]
    library = Library([summary("Same", quality=5, published_at=day(1), path=p) for p in paths])
    for key in SortKey:
        assert [library.articles[i].path for i in library.view(ALL, key)] == paths


def test_reverse_keeps_missing_values_last():
    library = make_scored()
    assert titles(library, key=SortKey.QUALITY, reverse=True) == [
        "low",
        "mid",
        "undated",
        "top",
        "none-new",
        "none-old",
    ]
    heat = [library.articles[i].heat for i in library.view(ALL, SortKey.HEAT, reverse=True)]
    assert heat == [1, 5, 7, 9, None, None]
    dates = [library.articles[i].published_at for i in library.view(ALL, SortKey.DATE, reverse=True)]
    assert dates[:-1] == sorted(d for d in dates if d is not None)
    assert dates[-1] is None


def test_reverse_of_title_order_is_descending():
    library = Library([summary("b"), summary("a"), summary("c")])
    assert titles(library, key=SortKey.TITLE, reverse=True) == ["c", "b", "a"]


def test_reverse_within_a_topic_keeps_missing_last():
    library = Library(
        [
            summary("x1", quality=None, topics=("AI",)),
            summary("x2", quality=20, topics=("AI",)),
            summary("x3", quality=80, topics=("AI",)),
            summary("other", quality=50, topics=("Space",)),
        ]
    )
    node = Node("topic", "AI")
    assert titles(library, node, SortKey.QUALITY) == ["x3", "x2", "x1"]
    assert titles(library, node, SortKey.QUALITY, reverse=True) == ["x2", "x3", "x1"]


def test_a_topic_view_follows_the_global_order():
    library = make_scored()
    tagged = Library([replace(s, topics=("T",)) for s in make_scored().articles])
    assert titles(tagged, Node("topic", "T"), SortKey.HEAT) == titles(library, ALL, SortKey.HEAT)


def test_views_are_cached_and_prepare_changes_nothing():
    library = make_scored()
    library.prepare()
    first = library.view(ALL, SortKey.DATE)
    assert library.view(ALL, SortKey.DATE) is first
    assert titles(library, key=SortKey.DATE) == titles(make_scored(), key=SortKey.DATE)


@pytest.mark.parametrize("key", list(SortKey))
def test_every_view_is_a_permutation_of_its_members(key):
    library = make_counted()
    for node in [ALL, Node("topic", "AI"), Node("category", "news"), Node("provider", "Wire")]:
        for reverse in (False, True):
            view = list(library.view(node, key, reverse))
            assert len(view) == len(set(view)) == library.count(node)


# --- duplicates ----------------------------------------------------------------------------------


def test_same_identity_is_kept_once_and_reported():
    library = Library(
        [
            summary("first", url="https://Example.COM/story/", path="a.md"),
            summary("second", url="https://example.com/story", path="b.md"),
            summary("third", url="http://example.com:80/story#top", path="c.md"),
            summary("other", url="https://example.com/other", path="d.md"),
        ]
    )
    assert [a.path for a in library.articles] == ["a.md", "d.md"]
    assert library.duplicates == [Duplicate("b.md", "a.md"), Duplicate("c.md", "a.md")]
    assert str(library.duplicates[0]) == "b.md: duplicate of a.md"


def test_duplicates_found_by_the_loader_keep_the_first_path(tmp_path):
    write_article(tmp_path, "2021/a.md", front_matter(title="Kept", webUrl='"https://News.Example.com/story/"'))
    write_article(tmp_path, "2021/b.md", front_matter(title="Copy", webUrl='"https://news.example.com/story"'))
    write_article(tmp_path, "2021/c.md", front_matter(title="Different", webUrl='"https://news.example.com/other"'))
    library = FolderLoader(tmp_path, workers=1).load()
    assert [a.title for a in library.articles] == ["Kept", "Different"]
    assert library.duplicates == [Duplicate("2021/b.md", "2021/a.md")]
    assert library.errors == []


def test_articles_without_a_web_url_are_never_duplicates_of_each_other():
    library = Library([summary("same", path="a.md"), summary("same", path="b.md")])
    assert len(library) == 2
    assert library.duplicates == []


def test_errors_and_skipped_are_kept():
    errors = [LoadError("bad.md", "invalid YAML")]
    library = Library([summary("a")], errors=errors, skipped=["README.md"])
    assert library.errors == errors
    assert library.skipped == ["README.md"]


# --- lookups ---------------------------------------------------------------------------------------


def test_find_url_finds_the_article_a_related_link_points_at():
    library = Library(
        [
            summary("first", url="https://example.com/story", path="a.md"),
            summary("second", url="https://example.com/other/", path="b.md"),
        ]
    )
    assert library.find_url("https://example.com/story") == 0
    assert library.find_url("https://EXAMPLE.com/story/") == 0
    assert library.find_url("http://example.com/other#comments") == 1
    assert library.find_url("https://example.com/missing") is None
    assert library.find_url("javascript:alert(1)") is None
    assert library.find_url("") is None
    assert library.find_url(None) is None


def test_index_of_and_article_fetch():
    fetched = []

    def fetch(s: ArticleSummary):
        fetched.append(s.path)

    library = Library([summary("a", url="https://example.com/a", path="a.md")], fetch=fetch)
    assert library.index_of(identity_url("https://example.com/a")) == 0
    assert library.index_of("nothing") is None
    assert library.article(0) is None
    assert fetched == ["a.md"]


def test_a_loaded_related_link_resolves_to_the_article_in_the_library(tmp_path):
    write_article(
        tmp_path,
        "a.md",
        "---\ntitle: A\nwebUrl: https://example.com/a\nrelated:\n  - title: B\n    webUrl: https://EXAMPLE.com/b/\n---\n",
    )
    write_article(tmp_path, "b.md", front_matter(title="B", webUrl="https://example.com/b"))
    library = FolderLoader(tmp_path, workers=1).load()
    article = library.article(library.index_of(identity_url("https://example.com/a")))
    assert article is not None
    target = library.find_url(article.related[0].url)
    assert target is not None and library.articles[target].title == "B"
