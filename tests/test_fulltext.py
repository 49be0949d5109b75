"""reader.fulltext: the FTS5 index of excerpts and bodies, kept in step with the files, and how
search uses it (``in:body``, the fallback without FTS5, ``reader list --query``)."""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from pathlib import Path

import pytest
from conftest import write_article
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_app import article_text

from reader import fulltext
from reader import query as query_module
from reader.cli import main
from reader.folder_loader import FolderLoader
from reader.fulltext import (
    BODY_COLUMNS,
    NO_FTS5_WARNING,
    WORD_COLUMNS,
    FileScan,
    FullTextIndex,
    IndexLookup,
    LiveFullText,
    article_reader,
    default_index_path,
    file_stamps,
    fts_query,
)
from reader.loading import load_file
from reader.model import Article
from reader.query import QueryError, SearchIndex, Text, matches, parse

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "bench"))


@pytest.fixture
def news(tmp_path: Path) -> Path:
    root = tmp_path / "news"
    articles = {
        "a.md": article_text(
            "Sensors on the ice",
            topics=["Climate", "Edge AI"],
            excerpt="Researchers wire a glacier with sensors.",
            body="The café near the station keeps the spare batteries.\n\nIt is cold.",
        ),
        "b.md": article_text(
            "Rocket lands on a barge", excerpt="A quiet day at sea.", body="Glacier water is not involved."
        ),
        "c.md": article_text("Budget talks stall", excerpt="Cafe owners protest the Straße closure."),
        "d.md": article_text("Nothing here", excerpt="Plain.", body="Sensor arrays everywhere."),
    }
    for name, text in articles.items():
        write_article(root, name, text)
    return root


def load(root: Path):
    with FolderLoader(root) as loader:
        return loader.load()


class CountingReader:
    """``article_reader`` that counts the files it reads (and can stop a sync after some)."""

    def __init__(self, root: Path, stop_after: int | None = None, cancelled: threading.Event | None = None) -> None:
        self.read = article_reader(root)
        self.paths: list[str] = []
        self.stop_after = stop_after
        self.cancelled = cancelled

    def __call__(self, path: str) -> Article | None:
        self.paths.append(path)
        if self.stop_after is not None and len(self.paths) >= self.stop_after and self.cancelled is not None:
            self.cancelled.set()
        return self.read(path)


def synced(root: Path, path: Path) -> FullTextIndex:
    index = FullTextIndex(path)
    assert index.available, index.warnings
    index.sync(root, file_stamps(root), article_reader(root))
    return index


def found(index: FullTextIndex, root: Path, term: Text, columns=WORD_COLUMNS) -> list[str]:
    answer = index.match(root, fts_query(term, columns))
    assert answer is not None
    return sorted(answer)


# --- what is asked -----------------------------------------------------------------------


def test_every_word_is_asked_as_a_quoted_phrase():
    assert fts_query(Text(("glacier",))) == '"glacier"'
    assert fts_query(Text(("glacier", "sen"), prefix=True), ("excerpt",)) == '{excerpt} : "glacier sen" *'
    # FTS5's operators, quotes and column names are only ever text inside a phrase
    assert fts_query(Text(('a"b', "NEAR", "OR", "body:x", "\x00"))) == '"a b near or body x"'


# --- the index ---------------------------------------------------------------------------


def test_words_match_excerpts_and_bodies_folded(news: Path, tmp_path: Path):
    index = synced(news, tmp_path / "index.sqlite3")
    assert found(index, news, Text(("glacier",))) == ["a.md"]  # the excerpt; b's glacier is in its body
    assert found(index, news, Text(("glacier",)), BODY_COLUMNS) == ["a.md", "b.md"]
    # accents and case either way: café finds Cafe, cafe finds café; strasse finds Straße
    assert found(index, news, Text(("cafe",)), BODY_COLUMNS) == ["a.md", "c.md"]
    assert found(index, news, Text(("strasse",))) == ["c.md"]
    # whole words, unless a prefix
    assert found(index, news, Text(("sensor",)), BODY_COLUMNS) == ["d.md"]
    assert found(index, news, Text(("sensor",), prefix=True), BODY_COLUMNS) == ["a.md", "d.md"]
    # a phrase is its words in a row
    assert found(index, news, Text(("wire", "a", "glacier"))) == ["a.md"]
    assert found(index, news, Text(("glacier", "wire"))) == []
    assert found(index, news, Text(("spare", "bat"), prefix=True), BODY_COLUMNS) == ["a.md"]
    assert found(index, news, Text(("spare", "bat"), prefix=True)) == []  # the body only with in:body
    index.close()


def test_a_phrase_never_spans_two_topics(news: Path, tmp_path: Path):
    index = synced(news, tmp_path / "index.sqlite3")
    assert found(index, news, Text(("edge", "ai")), ("topics",)) == ["a.md"]
    assert found(index, news, Text(("climate", "edge")), ("topics",)) == []
    index.close()


def test_a_warm_sync_reads_nothing_a_changed_file_is_read_again_a_deleted_one_forgotten(news: Path, tmp_path: Path):
    index = FullTextIndex(tmp_path / "index.sqlite3")
    first = CountingReader(news)
    assert index.sync(news, file_stamps(news), first) == 4
    assert sorted(first.paths) == ["a.md", "b.md", "c.md", "d.md"]
    again = CountingReader(news)
    assert index.sync(news, file_stamps(news), again) == 0
    assert again.paths == []
    version = index.version

    write_article(news, "b.md", article_text("Rocket lands on a barge", excerpt="Now about a glacier."))
    (news / "d.md").unlink()
    changed = CountingReader(news)
    assert index.sync(news, file_stamps(news), changed) == 2  # one read again, one forgotten
    assert changed.paths == ["b.md"]
    assert index.version != version
    assert found(index, news, Text(("glacier",))) == ["a.md", "b.md"]
    assert found(index, news, Text(("sensor",)), BODY_COLUMNS) == []
    index.close()

    # and so it stays for the next run: a new index on the same file reads nothing
    reopened = FullTextIndex(tmp_path / "index.sqlite3")
    later = CountingReader(news)
    assert reopened.sync(news, file_stamps(news), later) == 0 and later.paths == []
    assert found(reopened, news, Text(("glacier",))) == ["a.md", "b.md"]
    reopened.close()


def test_a_file_that_cannot_be_read_is_left_out_and_not_read_again_until_it_changes(news: Path, tmp_path: Path):
    write_article(news, "broken.md", "---\ntitle: [unclosed\n---\n")
    index = FullTextIndex(tmp_path / "index.sqlite3")
    index.sync(news, file_stamps(news), article_reader(news))
    again = CountingReader(news)
    assert index.sync(news, file_stamps(news), again) == 0 and again.paths == []
    index.close()


def test_two_libraries_in_one_index_answer_apart(news: Path, tmp_path: Path):
    other = tmp_path / "other"
    write_article(other, "a.md", article_text("Elsewhere", excerpt="Another glacier."))
    index = synced(news, tmp_path / "index.sqlite3")
    index.sync(other, file_stamps(other), article_reader(other))
    assert found(index, news, Text(("another",))) == []
    assert found(index, other, Text(("another",))) == ["a.md"]
    assert found(index, tmp_path / "never-synced", Text(("glacier",))) == []
    index.close()


def test_each_batch_is_kept_so_a_stopped_sync_goes_on_where_it_stopped(
    news: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(fulltext, "BATCH_FILES", 1)
    index = FullTextIndex(tmp_path / "index.sqlite3")
    cancelled = threading.Event()
    stopping = CountingReader(news, stop_after=2, cancelled=cancelled)
    assert index.sync(news, file_stamps(news), stopping, cancelled) == 2
    index.close()  # as a kill would leave it: the batches written are in the file

    reopened = FullTextIndex(tmp_path / "index.sqlite3")
    rest = CountingReader(news)
    assert reopened.sync(news, file_stamps(news), rest) == 2
    assert sorted(rest.paths + stopping.paths) == ["a.md", "b.md", "c.md", "d.md"]
    reopened.close()


def test_two_readers_syncing_one_folder_at_once_share_the_index(news: Path, tmp_path: Path):
    path = tmp_path / "index.sqlite3"
    first, second = FullTextIndex(path), FullTextIndex(path)
    read = article_reader(news)

    def read_while_the_other_syncs(name: str) -> Article | None:
        if not getattr(read_while_the_other_syncs, "done", False):
            read_while_the_other_syncs.done = True  # type: ignore[attr-defined]
            other = threading.Thread(target=lambda: second.sync(news, file_stamps(news), read))
            other.start()
            other.join()
        return read(name)

    first.sync(news, file_stamps(news), read_while_the_other_syncs)
    assert first.take_warnings() == [] and second.take_warnings() == []
    assert first.available and second.available
    assert found(first, news, Text(("glacier",))) == found(second, news, Text(("glacier",))) == ["a.md"]
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM files").fetchone() == (4,)
    assert db.execute("SELECT count(*) FROM words").fetchone() == (4,)
    db.close()
    first.close()
    second.close()


def test_names_that_are_not_utf8_round_trip(tmp_path: Path):
    root = tmp_path / "news"
    name = os.fsdecode(b"caf\xe9.md")
    write_article(root, name, article_text("Latin-1 name", excerpt="A glacier."))
    index = synced(root, tmp_path / "index.sqlite3")
    assert found(index, root, Text(("glacier",))) == [name]
    index.close()


# --- damage, and doing without ------------------------------------------------------------


def test_a_damaged_index_is_moved_aside_and_rebuilt_with_one_warning(news: Path, tmp_path: Path):
    path = tmp_path / "index.sqlite3"
    path.write_bytes(b"this is not a database" * 512)
    index = FullTextIndex(path)
    assert index.available
    warnings = index.take_warnings()
    assert len(warnings) == 1 and "damaged" in warnings[0] and "index.sqlite3.damaged" in warnings[0]
    assert (tmp_path / "index.sqlite3.damaged").read_bytes().startswith(b"this is not a database")
    index.sync(news, file_stamps(news), article_reader(news))
    assert found(index, news, Text(("glacier",))) == ["a.md"]
    assert index.take_warnings() == []
    index.close()


def test_damage_found_while_searching_rebuilds_the_index_and_the_next_sync_fills_it(news: Path, tmp_path: Path):
    index = synced(news, tmp_path / "index.sqlite3")

    class Damaged:
        def execute(self, *args):
            raise sqlite3.DatabaseError("database disk image is malformed")

    index._reader = Damaged()  # type: ignore[assignment]
    assert index.match(news, fts_query(Text(("glacier",)))) is None  # no answer, and no traceback
    warnings = index.take_warnings()
    assert len(warnings) == 1 and "damaged (database disk image is malformed)" in warnings[0]
    assert (tmp_path / "index.sqlite3.damaged").exists()
    assert found(index, news, Text(("glacier",))) == []  # rebuilt empty
    assert index.sync(news, file_stamps(news), article_reader(news)) == 4
    assert found(index, news, Text(("glacier",))) == ["a.md"]
    index.close()


def test_another_versions_index_is_replaced_without_a_word(news: Path, tmp_path: Path):
    path = tmp_path / "index.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
    db.execute("INSERT INTO meta VALUES ('schema', 'reader-fulltext-0')")
    db.commit()
    db.close()
    index = synced(news, path)
    assert index.take_warnings() == []
    assert found(index, news, Text(("glacier",))) == ["a.md"]
    index.close()


def test_an_index_that_cannot_be_written_is_switched_off_for_the_run(
    news: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    index = FullTextIndex(tmp_path / "index.sqlite3")
    real = fulltext._index

    def full_disk(*args):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(fulltext, "_index", full_disk)
    index.sync(news, file_stamps(news), article_reader(news))
    assert not index.available
    assert index.match(news, fts_query(Text(("glacier",)))) is None
    [warning] = index.take_warnings()
    assert "disk is full" in warning and "this time" in warning
    monkeypatch.setattr(fulltext, "_index", real)


@pytest.fixture
def no_fts5(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READER_NO_FTS5", "1")


def test_without_fts5_the_index_says_so_once_and_answers_nothing(no_fts5, news: Path, tmp_path: Path):
    index = FullTextIndex(tmp_path / "index.sqlite3")
    assert not index.available
    assert index.take_warnings() == [NO_FTS5_WARNING]
    assert index.sync(news, file_stamps(news), article_reader(news)) == 0
    assert index.match(news, '"glacier"') is None
    assert index.take_warnings() == []
    assert not (tmp_path / "index.sqlite3").exists()


@pytest.mark.skipif(not fulltext._sqlite_has_fts5(), reason="this SQLite has no FTS5")
def test_the_probe_finds_fts5_here_and_the_variable_turns_it_off(monkeypatch: pytest.MonkeyPatch):
    assert fulltext.fts5_available()
    monkeypatch.setenv("READER_NO_FTS5", "1")
    assert not fulltext.fts5_available()
    monkeypatch.setenv("READER_NO_FTS5", "0")
    assert fulltext.fts5_available()


# --- search with it ------------------------------------------------------------------------


def search(library, lookup, text: str, prefix_last: bool = False) -> list[str]:
    index = SearchIndex(library.articles, full_text=lookup)
    return sorted(library.articles[i].path for i in index.filter(parse(text, prefix_last=prefix_last)))


def test_search_finds_words_in_excerpts_and_with_in_body_in_bodies(news: Path, tmp_path: Path):
    library = load(news)
    index = synced(news, tmp_path / "index.sqlite3")
    lookup = IndexLookup(index, news)
    assert search(library, None, "glacier") == []  # in memory alone: titles, providers, topics, authors
    assert search(library, lookup, "glacier") == ["a.md"]
    assert search(library, lookup, "in:body glacier") == ["a.md", "b.md"]
    assert search(library, lookup, "glacier in:body") == ["a.md", "b.md"]  # anywhere in the query
    assert search(library, lookup, "-glacier") == ["b.md", "c.md", "d.md"]
    assert search(library, lookup, "in:body -glacier") == ["c.md", "d.md"]
    assert search(library, lookup, "glacier OR rocket") == ["a.md", "b.md"]
    assert search(library, lookup, "sensors glacier") == ["a.md"]  # one in the title, one in the excerpt
    assert search(library, lookup, "in:body sens", prefix_last=True) == ["a.md", "d.md"]
    assert search(library, lookup, "in:body sens") == []
    assert search(library, lookup, '"researchers wire"') == ["a.md"]
    assert search(library, lookup, "cafe") == ["c.md"]
    assert search(library, lookup, "in:body café") == ["a.md", "c.md"]
    assert search(library, lookup, "topic:climate glacier") == ["a.md"]
    index.close()


def test_a_lookup_changes_its_version_when_refreshed_and_the_search_asks_again(news: Path, tmp_path: Path):
    library = load(news)
    index = synced(news, tmp_path / "index.sqlite3")
    lookup = IndexLookup(index, news)
    search_index = SearchIndex(library.articles, full_text=lookup)
    assert len(search_index.filter(parse("glacier"))) == 1
    write_article(news, "c.md", article_text("Budget talks stall", excerpt="And a glacier."))
    index.sync(news, file_stamps(news), article_reader(news))
    assert len(search_index.filter(parse("glacier"))) == 1  # the answer kept until told
    lookup.refresh()
    assert len(search_index.filter(parse("glacier"))) == 2
    index.close()


def test_in_the_background_a_word_is_answered_later_and_then_said(news: Path, tmp_path: Path):
    index = synced(news, tmp_path / "index.sqlite3")
    done = threading.Event()
    lookup = IndexLookup(index, news, background=True, on_done=done.set)
    assert lookup(Text(("glacier",))) is None  # asked on this (the UI's) thread: not now
    assert done.wait(10)
    assert sorted(lookup(Text(("glacier",)))) == ["a.md"]
    lookup.close()
    index.close()


def test_without_fts5_in_body_reads_the_files(no_fts5, news: Path):
    library = load(news)
    scan = FileScan(news, [summary.path for summary in library.articles], article_reader(news))
    assert search(library, scan, "glacier") == []  # plain words: in memory only, as said once
    assert search(library, scan, "in:body glacier") == ["a.md", "b.md"]
    assert search(library, scan, "in:body café") == ["a.md", "c.md"]
    assert search(library, scan, "in:body sens", prefix_last=True) == ["a.md", "d.md"]
    scan.use_paths(["b.md"])  # another library: what was found before is forgotten
    assert search(library, scan, "in:body glacier") == ["b.md"]


def test_without_fts5_reading_in_the_background_says_when_done(no_fts5, news: Path):
    done = threading.Event()
    scan = FileScan(news, ["a.md", "b.md", "c.md", "d.md"], article_reader(news), background=True, on_done=done.set)
    assert scan(Text(("glacier",), body=True)) is None
    assert done.wait(10)
    assert sorted(scan(Text(("glacier",), body=True))) == ["a.md", "b.md"]
    scan.close()


def test_the_brute_force_matcher_agrees_with_the_index_on_a_generated_corpus(tmp_path: Path):
    import corpus

    root = tmp_path / "corpus"
    corpus.write_corpus(root, 150, seed=13)
    library = load(root)
    index = synced(root, tmp_path / "index.sqlite3")
    lookup = IndexLookup(index, root)
    read = article_reader(root)
    articles = {summary.path: read(summary.path) for summary in library.articles}
    queries = [
        "critics", "critics warn", '"small publishers"', "debate", "in:body watch", "in:body what to",
        "regulators -critics", "critics OR debate", "hospitals", "in:body hospitals", "pay", "the",
        "in:body -the", "carbon capture", "in:body report", "-in:body", "zzz",
    ]  # fmt: skip
    for text in queries:
        for prefix in (False, True):
            try:
                query = parse(text, prefix_last=prefix)
            except QueryError:
                continue
            expected = sorted(
                path
                for path, summary in ((s.path, s) for s in library.articles)
                if matches(query, summary, excerpt=articles[path].excerpt, body=articles[path].body)
            )
            assert search(library, lookup, text, prefix_last=prefix) == expected, (text, prefix)
    index.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=80), words=st.lists(st.text(max_size=12), min_size=1, max_size=4), prefix=st.booleans())
def test_no_text_reaches_fts5_as_syntax(text: str, words: list[str], prefix: bool, tmp_path_factory):
    index = _shared_index(tmp_path_factory)
    root = _shared_index.root
    try:
        query = parse(text, prefix_last=prefix)
    except QueryError:
        query = None
    terms = [Text(tuple(words), prefix)]
    if query is not None:
        from reader.query import _walk

        terms += [term for term in _walk(query.root) if isinstance(term, Text)]
    for term in terms:
        for columns in (WORD_COLUMNS, BODY_COLUMNS, None):
            assert index.match(root, fts_query(term, columns)) is not None
    assert index.take_warnings() == []


def _shared_index(tmp_path_factory) -> FullTextIndex:
    if getattr(_shared_index, "index", None) is None:
        folder = tmp_path_factory.mktemp("hypothesis")
        root = folder / "news"
        write_article(root, "a.md", article_text('Quoted "words" and NEAR OR AND', excerpt='x" OR body:y *'))
        _shared_index.root = root
        _shared_index.index = synced(root, folder / "index.sqlite3")
    return _shared_index.index


# --- the query language -----------------------------------------------------------------


def test_in_body_is_spelled_once_and_cannot_be_excluded():
    query = parse("in:body glacier OR sensors")
    assert query.text == "glacier OR sensors in:body" and query.in_body and query.has_words
    assert parse(query.text) == query
    assert parse("glacier") != parse("glacier in:body")
    assert parse("IN:Body glacier") == parse("glacier in:body")
    assert parse("in:body").is_everything  # no words: nothing to look for in bodies
    assert parse("in:body topic:AI") == parse("topic:AI")
    assert not parse("topic:AI").has_words
    for bad, message in (
        ("-in:body glacier", "in:body cannot be excluded"),
        ("in:bdy glacier", "in: takes in:body"),
        ("in: glacier", "in: needs a value"),
        ("in>body", "in takes in:body"),
    ):
        with pytest.raises(QueryError, match=message):
            parse(bad)


def test_one_article_matches_in_body_words_in_its_body():
    from test_query import summary

    article = summary("Rocket lands")
    assert not matches(parse("glacier"), article, body="A glacier.")
    assert matches(parse("in:body glacier"), article, body="A glacier.")
    assert matches(parse("in:body rocket"), article)
    assert not matches(parse("in:body -glacier"), article, body="A Glacier!")


# --- in the app, and on the command line ------------------------------------------------------


def test_the_app_side_syncs_in_its_thread_and_says_when_answers_change(news: Path, tmp_path: Path):
    library = load(news)
    changes: list = []
    warnings: list[str] = []
    changed = threading.Event()

    def on_change(latest) -> None:
        changes.append(latest)
        changed.set()

    live = LiveFullText(news, index_path=tmp_path / "index.sqlite3", on_change=on_change, on_warning=warnings.append)
    live.follow(library)
    assert live.synced.wait(10) and changed.wait(10)
    assert changes[-1] is library
    # asked from this (the UI's) thread: the in-memory answer now, the index's a moment later
    changed.clear()
    first = library.search_index.filter(parse("glacier"))
    assert len(first) == 0
    assert changed.wait(10)
    assert [library.articles[i].path for i in library.search_index.filter(parse("glacier"))] == ["a.md"]
    assert warnings == []
    live.close()


def test_the_app_side_looks_again_only_at_the_files_the_watcher_saw_change(news: Path, tmp_path: Path):
    live = LiveFullText(news, index_path=tmp_path / "index.sqlite3")
    live.follow(load(news))
    assert live.synced.wait(10)
    live.synced.clear()
    reads = live._read = CountingReader(news)
    write_article(news, "b.md", article_text("Rocket lands on a barge", excerpt="A glacier now."))
    write_article(news, "e.md", article_text("New", excerpt="Another glacier."))
    (news / "c.md").unlink()
    live.follow(load(news), changed={"b.md", "e.md", "c.md"})
    assert live.synced.wait(10)
    assert sorted(reads.paths) == ["b.md", "e.md"]
    assert sorted(live._index.match(news, fts_query(Text(("glacier",)), WORD_COLUMNS))) == ["a.md", "b.md", "e.md"]
    assert live._index.match(news, fts_query(Text(("strasse",)), WORD_COLUMNS)) == []  # c.md forgotten
    live.synced.clear()
    live.follow(load(news), changed=None)  # a rescan: every file looked at, none read (none changed)
    assert live.synced.wait(10)
    assert sorted(reads.paths) == ["b.md", "e.md"]
    live.close()


def test_on_a_warm_index_the_app_side_answers_at_once_and_says_so_though_nothing_changed(news: Path, tmp_path: Path):
    synced(news, tmp_path / "index.sqlite3").close()  # the last run's index, in step
    library = load(news)
    assert len(library.search_index.filter(parse("glacier"))) == 0  # typed while loading: from memory
    changes: list = []
    live = LiveFullText(news, index_path=tmp_path / "index.sqlite3", on_change=changes.append)
    live.follow(library)
    assert live.synced.wait(10)
    assert changes == [library]  # once, when the index opened; the sync changed nothing
    # asked again where waiting is fine (as the session does, in the index's thread): the index answers
    assert _paths(library, "glacier") == ["a.md"]
    live.close()


def _paths(library, text: str) -> list[str]:
    fulltext._may_wait.value = True
    try:
        return [library.articles[i].path for i in library.search_index.filter(parse(text))]
    finally:
        fulltext._may_wait.value = False


def test_the_index_goes_beside_a_cache_given_by_name(tmp_path: Path):
    assert default_index_path(beside=tmp_path / "articles.sqlite3") == tmp_path / "articles-fulltext.sqlite3"
    assert default_index_path().name == "fulltext.sqlite3"
    assert default_index_path("title=headline").name.startswith("fulltext-")


def test_the_app_side_without_fts5_warns_once_and_reads_bodies_in_the_background(no_fts5, news: Path, tmp_path: Path):
    library = load(news)
    warnings: list[str] = []
    changed = threading.Event()
    live = LiveFullText(
        news, index_path=tmp_path / "index.sqlite3", on_change=lambda _: changed.set(), on_warning=warnings.append
    )
    live.follow(library)
    assert live.synced.wait(10)
    live.synced.clear()
    live.follow(load(news))  # a second library (the watcher's): no second warning
    assert live.synced.wait(10)
    assert warnings == [NO_FTS5_WARNING]
    library = live._library
    assert len(library.search_index.filter(parse("in:body glacier"))) == 0  # not read yet
    assert changed.wait(10)
    hits = library.search_index.filter(parse("in:body glacier"))
    assert sorted(library.articles[i].path for i in hits) == ["a.md", "b.md"]
    live.close()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_reader_list_query_finds_words_in_excerpts_and_bodies(capsys, news: Path):
    code, out, err = run(capsys, "list", str(news), "--query", "in:body glacier")
    assert code == 0 and err == ""
    assert "Sensors on the ice" in out and "Rocket lands on a barge" in out and "2 articles" in out
    code, out, err = run(capsys, "list", str(news), "--query", "glacier")
    assert code == 0 and "Sensors on the ice" in out and "Rocket lands" not in out
    assert default_index_path().exists()  # beside the load cache, in the (test's) cache folder
    code, out, _ = run(capsys, "list", str(news), "--query", "in:body glacier", "--no-cache")
    assert "2 articles" in out  # without the index: the files are read


def test_reader_list_query_without_fts5_says_so_and_reads_the_files(capsys, no_fts5, news: Path):
    code, out, err = run(capsys, "list", str(news), "--query", "in:body glacier")
    assert code == 0 and "2 articles" in out
    assert err.count("FTS5") == 1
    code, out, err = run(capsys, "list", str(news), "--query", "topic:climate")  # no words: nothing to say
    assert code == 0 and err == ""


def test_stamps_come_from_the_walk_for_the_files_asked_only(news: Path):
    stamps = file_stamps(news, {"a.md", "gone.md"})
    assert list(stamps) == ["a.md"]
    assert stamps["a.md"][0] == (news / "a.md").stat().st_size
    assert isinstance(load_file(news, "a.md"), Article)


# --- in the app ------------------------------------------------------------------------------


async def _shown_after(app, pilot, wanted: list[str], seconds: float = 15) -> list[str]:
    from test_app import titles

    for _ in range(int(seconds / 0.05)):
        if sorted(titles(app)) == wanted:
            break
        await pilot.pause(0.05)
    return sorted(titles(app))


async def test_in_the_app_words_find_excerpts_and_in_body_bodies(news: Path):
    from test_app import SIZE, start
    from test_search_in_app import type_text

    from reader.app import ReaderApp

    app = ReaderApp(news, use_cache=True, mark_read="manual")
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("slash")
        await type_text(pilot, "glacier")
        assert await _shown_after(app, pilot, ["Sensors on the ice"]) == ["Sensors on the ice"]
        await type_text(pilot, " in:body")
        wanted = ["Rocket lands on a barge", "Sensors on the ice"]
        assert await _shown_after(app, pilot, wanted) == wanted
        assert not [n for n in app._notifications if "full-text" in n.message]


async def test_in_the_app_without_fts5_in_body_reads_the_files_and_says_so_once(no_fts5, news: Path):
    from test_app import SIZE, start
    from test_search_in_app import type_text

    from reader.app import ReaderApp

    app = ReaderApp(news, use_cache=True, mark_read="manual")
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("slash")
        await type_text(pilot, "in:body glacier")
        wanted = ["Rocket lands on a barge", "Sensors on the ice"]
        assert await _shown_after(app, pilot, wanted) == wanted
        write_article(news, "e.md", article_text("Glacier report", excerpt="Ice."))
        await pilot.press("enter", "r")  # to the results, then a rescan: another library, and no second warning
        wanted = ["Glacier report", "Rocket lands on a barge", "Sensors on the ice"]
        assert await _shown_after(app, pilot, wanted) == wanted
        said = [n.message for n in app._notifications if "FTS5" in n.message]
        assert said == [NO_FTS5_WARNING]


def test_the_app_side_reads_a_first_sync_in_another_process_even_with_one_worker(
    news: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # Read in the app's own thread, 100,000 files took the UI's interpreter (search keys of 200 ms)
    # and left ~80 MB in the app's memory; a process of its own keeps both.
    monkeypatch.setattr(fulltext, "PARALLEL_FROM", 2)
    pools: list[int] = []

    def no_pool(workers: int):
        pools.append(workers)
        return None  # read here after all: the test needs no process

    monkeypatch.setattr(fulltext, "_start_pool", no_pool)
    live = LiveFullText(news, index_path=tmp_path / "index.sqlite3", workers=1)
    library = load(news)
    live.follow(library)
    assert live.synced.wait(10)
    assert pools == [1]
    assert _paths(library, "glacier") == ["a.md"]
    live.close()
    # ``reader list``'s own sync, one worker: read where it runs, as before
    pools.clear()
    index = FullTextIndex(tmp_path / "other.sqlite3")
    index.sync(news, file_stamps(news), article_reader(news), workers=1)
    assert pools == []
    index.close()


def test_following_a_library_maps_its_paths_there_not_in_a_search(news: Path, tmp_path: Path, monkeypatch):
    # The map from path to article, made lazily by the first search the index answered, was made
    # under the search index's lock by the thread finding answers: the UI's next key waited for it.
    library = load(news)
    index = synced(news, tmp_path / "index.sqlite3")
    lookup = IndexLookup(index, news)
    library.search_index.use_full_text(lookup)
    made: list[int] = []
    real = query_module.article_paths
    monkeypatch.setattr(query_module, "article_paths", lambda articles: made.append(1) or real(articles))
    found = library.search_index.filter(parse("glacier"))
    assert [library.articles[i].path for i in found] == ["a.md"]
    assert made == []
    index.close()


def test_a_warm_sync_keeps_little_per_file_while_it_compares(tmp_path: Path):
    # The sync compares every file's stamp with the one it indexed: kept as tuples of 4 ints (and
    # every row fetched at once) that was ~470 bytes a file, in the app's memory; packed, ~340.
    import tracemalloc

    root = tmp_path / "news"
    root.mkdir()
    for i in range(3000):
        (root / f"article-{i:05d}.md").write_text(f"---\ntitle: Article {i}\n---\nBody {i}\n")
    index = FullTextIndex(tmp_path / "index.sqlite3")
    index.sync(root, file_stamps(root), article_reader(root))
    stamps = file_stamps(root)
    reader = CountingReader(root)
    tracemalloc.start()
    try:
        index.sync(root, stamps, reader)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert reader.paths == []
    assert peak / 3000 < 400
    index.close()


def test_without_fts5_following_a_library_maps_no_paths_until_an_in_body_answer(
    no_fts5, news: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # Without FTS5 only in:body is answered: a map of every path made at once was 16 MB for nothing.
    made: list[int] = []
    real = query_module.article_paths
    monkeypatch.setattr(query_module, "article_paths", lambda articles: made.append(1) or real(articles))
    library = load(news)
    live = LiveFullText(news, index_path=tmp_path / "index.sqlite3")
    live.follow(library)
    assert live.synced.wait(10)
    assert _paths(library, "glacier") == []
    assert made == []
    assert sorted(_paths(library, "in:body glacier")) == ["a.md", "b.md"]
    assert made == [1]
    live.close()


def test_an_answer_kept_holds_its_paths_in_little_memory(tmp_path: Path):
    # Each word's answer is kept (the newest 256): at 100,000 articles a common word's paths were
    # ~10 MB of strings apiece, in the app's memory; joined in one string, about half.
    import tracemalloc

    root = tmp_path / "news"
    paths = [f"topic-{i % 7}/article-{i:05d}.md" for i in range(2000)]
    for i, path in enumerate(paths):
        write_article(root, path, article_text(f"Article {i}", excerpt="Quantum news."))
    index = synced(root, tmp_path / "index.sqlite3")
    lookup = IndexLookup(index, root)
    assert lookup(Text(("nowhere",))) is not None  # the reading connection opened before counting
    tracemalloc.start()
    try:
        answer = lookup(Text(("quantum",)))
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(answer) == 2000 and "topic-3/article-00003.md" in answer
    assert sorted(answer) == sorted(paths)
    assert kept / 2000 < 100  # 129 bytes a path as a list of strings, 73 joined
    index.close()
