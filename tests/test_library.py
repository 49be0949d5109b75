"""reader.library: counts, tree nodes, sort orders, duplicates and related-link lookups."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from conftest import front_matter, write_article

from reader.folder_loader import FolderLoader
from reader.library import ALL, Library, Node, SortKey
from reader.loading import load_summary
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
    assert library.topic_counts == {"AI": 4, "Climate": 1, "Robotics": 1}  # "ai" is "AI"


def test_topic_counts_are_in_case_insensitive_order():
    library = make_counted()
    assert list(library.topic_counts) == ["AI", "Climate", "Robotics"]


def test_category_counts_include_articles_without_a_category():
    library = make_counted()
    assert library.category_counts == {"": 1, "news": 3, "research": 1}


def test_provider_counts_use_the_name_else_the_domain():
    library = make_counted()
    assert library.provider_counts == {"": 1, "bare.example": 1, "Lab": 1, "Wire": 2}


def test_category_topic_counts_nest_topics_under_their_category():
    library = make_counted()
    assert library.category_topic_counts == {
        "news": {"AI": 3, "Climate": 1, "Robotics": 1},
        "research": {"AI": 1},
    }


def test_count_of_nodes():
    library = make_counted()
    assert library.count(ALL) == 5
    assert library.count(Node("topic", "AI")) == 4
    assert library.count(Node("topic", "AI", "news")) == 3
    assert library.count(Node("category", "news")) == 3
    assert library.count(Node("provider", "Wire")) == 2
    assert library.count(Node("topic", "Nope")) == 0


def test_grouped_by_category_only_with_more_than_one_category():
    assert make_counted().grouped_by_category
    single = Library([summary("a", category="news"), summary("b", category="news")])
    assert not single.grouped_by_category


def test_views_of_topic_category_and_provider_nodes():
    library = make_counted()
    assert sorted(titles(library, Node("topic", "AI"), SortKey.TITLE)) == ["a", "b", "c", "e"]
    assert titles(library, Node("topic", "AI", "news"), SortKey.TITLE) == ["a", "c", "e"]
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


def test_complete_ties_go_in_path_order_whatever_order_they_came_in():
    paths = [f"{n}.md" for n in ("3", "1", "2")]
    library = Library([summary("Same", quality=5, published_at=day(1), path=p) for p in paths])
    for key in SortKey:
        assert [library.articles[i].path for i in library.view(ALL, key)] == ["1.md", "2.md", "3.md"]


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


# --- names that differ only in case, spacing or Unicode form are one node ---------------------


def test_topics_differing_in_case_spacing_or_unicode_form_are_one_node_in_the_majority_spelling():
    library = Library(
        [
            summary("a", topics=("ai", "Machine Learning")),
            summary("b", topics=("AI",)),
            summary("c", topics=("AI", "machine  learning")),
            summary("d", topics=("ＡＩ", "Machine\u00a0Learning")),  # full-width letters, a no-break space
            summary("e", topics=("Ai",)),
        ]
    )
    assert library.topic_counts == {"AI": 5, "Machine Learning": 3}
    assert sorted(titles(library, Node("topic", "AI"), SortKey.TITLE)) == ["a", "b", "c", "d", "e"]
    assert library.count(Node("topic", "ai")) == 0  # one node, under its shown name


def test_a_tie_between_spellings_is_shown_in_the_alphabetically_first():
    library = Library([summary("a", topics=("ai",)), summary("b", topics=("AI",))])
    assert library.topic_counts == {"AI": 2}


def test_an_article_naming_two_spellings_counts_once():
    library = Library([summary("a", topics=("AI", "ai")), summary("b", topics=("ai",))])
    assert library.topic_counts == {"ai": 2}
    assert list(library.view(Node("topic", "ai"))) == [0, 1]


def test_categories_are_merged_the_same_way_and_topics_under_them_too():
    library = Library(
        [
            summary("a", category="News", topics=("AI",)),
            summary("b", category="news", topics=("ai",)),
            summary("c", category="news", topics=("AI",)),
            summary("d", category="Research", topics=("AI",)),
        ]
    )
    assert library.category_counts == {"news": 3, "Research": 1}
    assert library.category_topic_counts == {"news": {"AI": 3}, "Research": {"AI": 1}}
    assert titles(library, Node("topic", "AI", "news"), SortKey.TITLE) == ["a", "b", "c"]
    assert titles(library, Node("category", "news"), SortKey.TITLE) == ["a", "b", "c"]


# --- title ties ------------------------------------------------------------------------------------


def test_titles_equal_but_for_case_are_ordered_newest_first_then_by_path():
    library = Library(
        [
            summary("report", published_at=day(1), path="c.md"),
            summary("Report", published_at=day(3), path="z.md"),
            summary("REPORT", published_at=day(1), path="a.md"),
            summary("report", path="b.md"),  # no date: after the dated ones
            summary("Another", published_at=day(0), path="y.md"),
        ]
    )
    order = [library.articles[i].path for i in library.view(ALL, SortKey.TITLE)]
    assert order == ["y.md", "z.md", "a.md", "c.md", "b.md"]


def test_title_order_does_not_depend_on_the_order_articles_came_in():
    articles = [summary("Same", published_at=day(n % 2), path=f"{n}.md") for n in range(6)]
    forward = Library(articles)
    backward = Library(list(reversed(articles)))

    def paths(library: Library) -> list[str]:
        return [library.articles[i].path for i in library.view(ALL, SortKey.TITLE)]

    assert paths(forward) == paths(backward) == ["1.md", "3.md", "5.md", "0.md", "2.md", "4.md"]


# --- which of two copies is kept ----------------------------------------------------------------


def test_which_copy_is_kept_does_not_depend_on_the_order_they_came_in():
    copies = [summary(f"copy {n}", url="https://example.com/story", path=f"{n}.md") for n in (3, 1, 2)]
    for order in (copies, list(reversed(copies)), copies[1:] + copies[:1]):
        library = Library(order)
        assert [a.path for a in library.articles] == ["1.md"]
        assert library.duplicates == [Duplicate("2.md", "1.md"), Duplicate("3.md", "1.md")]


def test_a_real_file_is_kept_over_a_symlink_to_it(tmp_path):
    write_article(tmp_path, "z-real.md", front_matter(title="Real", webUrl="https://example.com/story"))
    (tmp_path / "a-link.md").symlink_to(tmp_path / "z-real.md")
    copies = [load_summary(tmp_path, name) for name in ("a-link.md", "z-real.md")]

    def is_symlink(path: str) -> bool:
        return (tmp_path / path).is_symlink()

    for order in (copies, list(reversed(copies))):
        library = Library(order, is_symlink=is_symlink)
        assert [a.path for a in library.articles] == ["z-real.md"]
        assert library.duplicates == [Duplicate("a-link.md", "z-real.md")]
