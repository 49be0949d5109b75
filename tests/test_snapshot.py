"""The library written whole to the cache and read back: columns, tree, orders, and the loader's start from it."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import write_article
from hypothesis import given, settings
from hypothesis import strategies as st
from test_cache import article_text, make_library_folder
from test_folder_loader import parsed, run, titles, touch_later  # noqa: F401  (parsed is a fixture)

from reader.cache import ARTICLE, ERROR, ArticleCache, Record, summary_record
from reader.columns import ArticleColumns, TextColumn
from reader.folder_loader import FolderLoader
from reader.library import ALL, Library, Node, NodeKind, SortKey
from reader.model import ArticleSummary, Provider
from reader.snapshot import SnapshotDamaged, decode, encode


def summary(n: int, **changes) -> ArticleSummary:
    fields = dict(
        id=f"https://example.com/{n}",
        path=f"2024/{n:03d}.md",
        title=f"Story {n % 7}",
        provider=Provider(f"Outlet {n % 3}", f"o{n % 3}.example"),
        category=("news", "analysis")[n % 2],
        type="article",
        quality=None if n % 5 == 0 else n % 101,
        heat=None if n % 4 == 0 else n % 50,
        published=n % 9 != 0,
        published_at=None if n % 6 == 0 else datetime(2024, 1 + n % 12, 1 + n % 28, tzinfo=UTC),
        topics=(("AI", "Science"), ("ai",), (), ("Climate",))[n % 4],
        url=(None, f"https://example.com/{n}", f"https://publisher.example/{n}")[n % 3],  # none, the id, another
        authors=(("Ada",), (), ("Bo", "Cy"))[n % 3],
    )
    fields.update(changes)
    return ArticleSummary(**fields)


def stamp_of(path: str) -> tuple[int, int, int, int]:
    return (len(path), 10**18 + len(path), -5, 2**63 + 7)  # a negative mtime and an inode over 2**63 survive


def every_view(library: Library) -> dict:
    nodes = [ALL, *(Node(NodeKind.TOPIC, t) for t in library.topic_counts)]
    nodes += [Node(NodeKind.CATEGORY, c) for c in library.category_counts]
    nodes += [Node(NodeKind.PROVIDER, p) for p in library.provider_counts]
    nodes += [Node(NodeKind.TOPIC, t, c) for c, ts in library.category_topic_counts.items() for t in ts]
    return {
        (node, key, reverse): list(library.view(node, key, reverse))
        for node in nodes
        for key in SortKey
        for reverse in (False, True)
    }


def test_text_columns_keep_any_text_a_name_can_hold():
    texts = ["plain", "", "café", "x\udc80y", "日本語", "emoji 👍🏽", "tab\tin"]
    column = TextColumn.of(texts)
    assert column.tolist() == texts and [column[i] for i in range(len(texts))] == texts and column[-1] == texts[-1]
    assert TextColumn.of([]).tolist() == [] and len(TextColumn.of([])) == 0
    with pytest.raises(ValueError):
        TextColumn.of(["a\0b"])


def test_columns_give_back_every_summary():
    summaries = [summary(n) for n in range(60)]
    columns = ArticleColumns.of(summaries)
    assert list(columns) == summaries and columns[17] == summaries[17] and columns == summaries
    assert len(columns.providers) == 3  # each distinct value stored once


def test_a_snapshot_reads_back_the_same_library():
    summaries = [summary(n) for n in range(80)] + [summary(3, path="2024/zz-copy.md")]  # a duplicate of 3
    library = Library(summaries, errors=[], skipped=[])
    others = [Record("bad.md", 1, 2, 3, 4, ERROR, "front matter: broken")]
    others.append(summary_record(summary(3, path="2024/zz-copy.md"), stamp_of("2024/zz-copy.md")))
    back = decode(encode(library, stamp_of, others), fetch=lambda s: None)
    again = back.library
    assert again.complete and list(again.articles) == list(library.articles)
    assert again.topic_counts == library.topic_counts and again.provider_counts == library.provider_counts
    assert again.category_topic_counts == library.category_topic_counts
    assert again.category_counts == library.category_counts
    assert every_view(again) == every_view(library)
    assert again.duplicates == library.duplicates and again.index_of("https://example.com/7") == 7
    assert [back.stamp(i) for i in range(len(again))] == [stamp_of(a.path) for a in library.articles]
    assert back.others == others


def test_a_snapshot_holds_every_order_already_sorted():
    library = Library([summary(n) for n in range(30)])
    again = decode(encode(library, stamp_of, []), fetch=lambda s: None).library
    assert set(again._orders) == set(SortKey)  # read, not computed: a sort switch sorts nothing


def test_a_snapshot_of_another_version_is_not_trusted(monkeypatch):
    from reader import snapshot

    data = encode(Library([summary(n) for n in range(5)]), stamp_of, [])
    monkeypatch.setattr(snapshot, "SCHEMA", "reader-cache-0/0.0")
    with pytest.raises(SnapshotDamaged, match="another version"):
        decode(data, fetch=lambda s: None)


@pytest.mark.parametrize("cut", [0, 5, 20, 100, -1])
def test_a_cut_snapshot_is_damage(cut):
    data = encode(Library([summary(n) for n in range(20)]), stamp_of, [])
    with pytest.raises(SnapshotDamaged):
        decode(data[:cut], fetch=lambda s: None)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_damage_anywhere_is_found_or_harmless(data):
    library = Library([summary(n) for n in range(12)])
    blob = bytearray(encode(library, stamp_of, []))
    for _ in range(data.draw(st.integers(1, 4))):
        blob[data.draw(st.integers(0, len(blob) - 1))] = data.draw(st.integers(0, 255))
    try:
        again = decode(bytes(blob), fetch=lambda s: None).library
    except SnapshotDamaged:
        return
    assert list(again.articles) == list(library.articles)  # the byte written was the one there


# --- the loader starts from the snapshot --------------------------------------------------------------------


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_library_folder(tmp_path / "articles")


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "c.sqlite3"


def test_a_warm_start_reads_the_library_whole_and_parses_nothing(root, cache_path, parsed, monkeypatch):
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        first = loader.load()
    parsed.clear()
    monkeypatch.setattr(ArticleCache, "records", lambda *a, **k: pytest.fail("rows read: the snapshot was not used"))
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        progress, libraries = run(loader.events(first_screen=False))
    assert parsed == []
    assert libraries[0].complete and libraries[-1] is libraries[0]
    assert titles(libraries[0]) == titles(first) and every_view(libraries[0]) == every_view(first)
    assert [e.path for e in libraries[0].errors] == [e.path for e in first.errors]
    assert sorted(s.path for s in libraries[0].skipped) == sorted(s.path for s in first.skipped)


def test_what_changed_since_the_snapshot_is_found_by_the_walk(root, cache_path, parsed):
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        loader.load()
    edited = root / "2021" / "01" / "a000.md"
    edited.write_text(article_text(0, title='"Edited"'))
    touch_later(edited)
    write_article(root, "2024/new.md", article_text(300, title='"New"'))
    (root / "2022" / "02" / "a001.md").unlink()
    parsed.clear()
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        progress, libraries = run(loader.events(first_screen=False))
    assert sorted(parsed) == ["2021/01/a000.md", "2024/new.md"]
    final = libraries[-1]
    assert final.complete and "Edited" in titles(final) and "New" in titles(final) and "Article 1" not in titles(final)
    assert "Article 0" not in titles(final) and "Article 0" in titles(libraries[0])  # the first was the snapshot
    # and the next start reads the new snapshot: nothing parsed, the same library
    parsed.clear()
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        _, libraries = run(loader.events(first_screen=False))
    assert parsed == [] and titles(libraries[0]) == titles(final) and libraries[-1] is libraries[0]


def test_a_snapshot_older_than_the_rows_takes_the_rows_not_the_parser(root, cache_path, parsed):
    """The watcher's refreshes store rows at once but the snapshot at most once a minute."""
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        loader.load()
        write_article(root, "2024/fetched.md", article_text(400, title='"Fetched"'))
        run(loader.refresh(["2024/fetched.md"]))
    parsed.clear()
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        _, libraries = run(loader.events(first_screen=False))
    assert parsed == [] and "Fetched" in titles(libraries[-1])


def test_a_damaged_snapshot_is_said_once_and_the_load_goes_on(root, cache_path):
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        expected = titles(loader.load())
    cache = ArticleCache(cache_path)
    with cache.open_snapshot(root.resolve()) as file:
        data = bytearray(file.read())
    data[len(data) // 2] ^= 0xFF
    cache.store_snapshot(root.resolve(), bytes(data))
    cache.close()
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        library = loader.load()
        warnings = loader.warnings
    assert titles(library) == expected
    assert len(warnings) == 1 and "damaged" in warnings[0]
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        assert titles(loader.load()) == expected and loader.warnings == []


def test_names_that_are_not_utf8_survive_the_snapshot(tmp_path, cache_path, parsed):
    root = tmp_path / "articles"
    root.mkdir()
    name = os.fsencode(root) + b"/caf\xe9.md"
    with open(name, "w") as file:
        file.write(article_text(1))
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        first = loader.load()
    parsed.clear()
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        again = loader.load()
    assert parsed == [] and [a.path for a in again.articles] == [a.path for a in first.articles] == ["caf\udce9.md"]


def test_loaded_records_from_a_snapshot_unpack_only_on_a_change(root, cache_path):
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        loader.load()
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        _, libraries = run(loader.events(first_screen=False))
        records = loader.records
        assert records._base is not None  # nothing changed: the columns were never unpacked
        path = libraries[0].articles[0].path
        assert records.stamp(path) is not None and path in records and len(records) == 15
        records.apply([Record(path, 1, 2, 3, 4, ARTICLE, None, "x", "Changed", "", "", "", "", None, None, 1, None, "", None)])
        assert records._base is None and "Changed" in titles(records.snapshot(complete=True))


def test_a_change_found_half_way_through_the_check_keeps_every_file_not_yet_walked(root, cache_path, monkeypatch):
    """The first change unpacks the snapshot while the walk goes on: what it found unchanged before
    and after must all stay (a walk that forgot them would delete the library)."""
    from reader import folder_loader

    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        expected = titles(loader.load())
    monkeypatch.setattr(folder_loader, "CHUNK_FILES", 1)  # each changed file is parsed and applied as it is found
    first = root / "2021" / "01" / "a000.md"  # the first article in walk order
    first.write_text(article_text(0, title='"Article 0 edited"'))
    touch_later(first)
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        _, libraries = run(loader.events(first_screen=False))
    assert titles(libraries[-1]) == sorted(t if t != "Article 0" else "Article 0 edited" for t in expected)


@pytest.mark.parametrize(
    "text",
    [
        "story", "stor", "ai", "topic:ai", "provider:o1.example", "provider:outlet", "category:news", "author:ada",
        "type:article", "domain:publisher.example", "domain:example.com", "quality>=50", "heat:10..30",
        "is:draft", '"story 3"', "-topic:climate", "science OR climate", "after:2024-06-01", "age<400d",
    ],
)
def test_the_search_index_of_columns_answers_as_that_of_summaries(text):
    from reader.query import SearchIndex, parse

    summaries = [summary(n) for n in range(90)]
    columns = ArticleColumns.of(summaries)
    query = parse(text, prefix_last=True)
    now = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
    by_columns, by_list = SearchIndex(columns), SearchIndex(summaries)
    by_columns.prepare()
    assert list(by_columns.filter(query, now=now)) == list(by_list.filter(query, now=now))


@pytest.mark.parametrize("read_every", [1, 2, 3, 7, 1000])
def test_unread_counts_by_groups_equal_a_count_of_each_node(read_every):
    summaries = [summary(n, category=("news", "analysis", "", "News")[n % 4]) for n in range(120)]
    summaries += [summary(7, path="2024/zz-copy.md")]  # a duplicate, dropped
    for library in (Library(summaries), decode(encode(Library(summaries), stamp_of, []), fetch=lambda s: None).library):
        read = frozenset(a.id for n, a in enumerate(library.articles) if n % read_every == 0)
        ids = library.ids()
        expected = {
            node: sum(1 for i in members if ids[i] not in read) for node, members in library._members.items()
        }
        assert library.unread_counts(read) == expected
