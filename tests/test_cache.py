"""reader.cache and reader.folder_loader: a warm start parses nothing, and the cache is never trusted blindly."""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import front_matter, write_article

from reader import cache as cache_module
from reader import folder_loader
from reader.cache import ARTICLE, ERROR, SCHEMA, ArticleCache, Record
from reader.folder_loader import FolderLoader
from reader.library import ALL, Library, SortKey
from reader.loading import load_file
from reader.model import Article

SAMPLE = Path(__file__).resolve().parent.parent / "data"


def article_text(n: int, **extra: object) -> str:
    fields: dict[str, object] = {
        "title": f'"Article {n}"',
        "webUrl": f'"https://news.example.com/story/{n}"',
        "quality": n % 101,
        "heat": (n * 7) % 50 - 1,
        "publishedDateTime": f"2021-06-{1 + n % 28:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
        "topics": f"[Topic {n % 5}, AI]",
        "provider": f"{{name: Outlet {n % 3}, domain: outlet{n % 3}.example}}",
    }
    fields.update(extra)
    return front_matter(**fields)


def make_library_folder(root: Path, count: int = 12) -> Path:
    for n in range(count):
        write_article(root, f"{2021 + n % 2}/{n % 12 + 1:02d}/a{n:03d}.md", article_text(n))
    write_article(root, "README.md", "# Not an article\n")
    write_article(root, "2021/broken.md", "---\ntitle: [unclosed\n---\n")
    write_article(root, "2021/cover.png", b"\x89PNG\r\n\x1a\n")
    return root


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_library_folder(tmp_path / "articles")


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "c.sqlite3"


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The relative paths parse_files is asked to parse, in order."""
    calls: list[str] = []
    real = folder_loader.parse_files

    def counting(root: Path, entries, *names):
        calls.extend(entry.path for entry in entries)
        return real(root, entries, *names)

    monkeypatch.setattr(folder_loader, "parse_files", counting)
    return calls


def load(root: Path, cache_path: Path | None, workers: int = 1) -> Library:
    cache = ArticleCache(cache_path) if cache_path is not None else None
    try:
        return FolderLoader(root, cache, workers=workers).load()
    finally:
        if cache is not None:
            cache.close()


def state(library: Library) -> tuple:
    """Everything a library says, in comparable form."""
    return (
        list(library.articles),
        sorted((e.path, e.reason) for e in library.errors),
        sorted((s.path, s.reason) for s in library.skipped),
        [(d.path, d.kept) for d in library.duplicates],
    )


def listing(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((str(p.relative_to(folder)), p.lstat().st_mtime_ns, p.lstat().st_size) for p in folder.rglob("*"))


# --- warm starts ------------------------------------------------------------------------------


def test_the_first_load_parses_every_candidate_file(root, cache_path, parsed):
    library = load(root, cache_path)
    assert len(library) == 12
    assert sorted(parsed) == sorted(
        [f"{2021 + n % 2}/{n % 12 + 1:02d}/a{n:03d}.md" for n in range(12)] + ["README.md", "2021/broken.md"]
    )
    assert [e.path for e in library.errors] == ["2021/broken.md"]
    assert sorted(s.path for s in library.skipped) == ["2021/cover.png", "README.md"]


def test_the_second_load_comes_from_the_cache(root, cache_path, parsed, monkeypatch):
    cold = load(root, cache_path)
    parsed.clear()

    def no_reading(*args, **kwargs):
        raise AssertionError("a warm start read a file")

    monkeypatch.setattr(folder_loader, "load_file", no_reading)
    warm = load(root, cache_path)
    assert parsed == []
    assert state(warm) == state(cold)


def test_a_warm_library_is_the_same_as_a_load_without_cache(root, cache_path):
    load(root, cache_path)
    assert state(load(root, cache_path)) == state(load(root, None))


def test_cached_summaries_equal_freshly_parsed_ones_for_odd_articles(tmp_path, cache_path):
    root = tmp_path / "articles"
    write_article(root, "micro.md", front_matter(title='"Micro"', publishedDateTime="2021-06-23T04:14:00.123456Z"))
    write_article(root, "bare.md", front_matter(title='"Bare"'))
    write_article(
        root, "unicode.md", front_matter(title='"Grüße “quoted” 日本語 🚀"', topics='["Ünïcode", "a;b", "x,y"]')
    )
    write_article(root, "one-topic.md", front_matter(title="T", topics="Solo", provider='"Name only"'))
    write_article(root, "draft.md", front_matter(title="D", published="false", quality=0, heat=0))
    write_article(
        root,
        "urls.md",
        front_matter(title="U", originalUrl='"https://pub.example/a"', webUrl='"https://agg.example/a"'),
    )
    cold = load(root, cache_path)
    warm = load(root, cache_path)
    fresh = {path: load_file(root.resolve(), path) for path in [a.path for a in cold.articles]}
    assert len(warm.articles) == 6
    for summary in warm.articles:
        assert summary == fresh[summary.path].summary()


def test_the_whole_sample_round_trips_through_the_cache(cache_path, parsed):
    cold = load(SAMPLE, cache_path)
    parsed.clear()
    warm = load(SAMPLE, cache_path)
    assert parsed == []
    assert state(warm) == state(cold)
    assert len(warm) >= 40
    for summary in warm.articles:
        assert summary == load_file(SAMPLE.resolve(), summary.path).summary()


def test_errors_and_skipped_files_are_remembered_too(root, cache_path, parsed):
    first = load(root, cache_path)
    parsed.clear()
    second = load(root, cache_path)
    assert parsed == []
    assert [(e.path, e.reason) for e in second.errors] == [(e.path, e.reason) for e in first.errors]
    assert sorted(s.path for s in second.skipped) == ["2021/cover.png", "README.md"]


def test_the_full_article_of_a_cached_summary_equals_load_file(root, cache_path):
    load(root, cache_path)
    library = load(root, cache_path)
    assert len(library) > 0
    for index, summary in enumerate(library.articles):
        article = library.article(index)
        assert isinstance(article, Article)
        assert article == load_file(root.resolve(), summary.path)
        assert article.summary() == summary


def test_the_full_article_keeps_what_the_summary_leaves_out(tmp_path, cache_path):
    root = tmp_path / "articles"
    seed = (SAMPLE / "2021" / "06" / "000_3a2cf1b7735a9b42.txt").read_bytes()
    write_article(root, "seed.txt", seed)
    load(root, cache_path)
    library = load(root, cache_path)
    article = library.article(0)
    assert article is not None
    assert article.excerpt.startswith("EU’s data protection agencies")
    assert len(article.related) == 2
    assert article.secured.endswith("e65b1H9IEzZXCXnN709RgQ==")


# --- what changed since the cache ----------------------------------------------------------------


def test_a_changed_file_is_reloaded(root, cache_path, parsed):
    load(root, cache_path)
    parsed.clear()
    path = root / "2021" / "01" / "a000.md"
    path.write_text(article_text(0, title='"Changed title, longer than before"'))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    library = load(root, cache_path)
    assert parsed == ["2021/01/a000.md"]
    assert "Changed title, longer than before" in [a.title for a in library.articles]
    assert "Article 0" not in [a.title for a in library.articles]


def test_a_file_changed_with_the_same_size_but_a_new_mtime_is_reloaded(root, cache_path, parsed):
    load(root, cache_path)
    parsed.clear()
    path = root / "2021" / "01" / "a000.md"
    text = path.read_text()
    path.write_text(text.replace("Article 0", "Bbbbbbb 0"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    library = load(root, cache_path)
    assert parsed == ["2021/01/a000.md"]
    assert "Bbbbbbb 0" in [a.title for a in library.articles]


def test_an_edit_that_keeps_size_and_mtime_is_seen(root, cache_path, parsed):
    load(root, cache_path)
    parsed.clear()
    path = root / "2021" / "01" / "a000.md"
    before = path.stat()
    path.write_text(path.read_text().replace("Article 0", "Edited! 0"))  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # touch -r: the same mtime
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    library = load(root, cache_path)
    assert parsed == ["2021/01/a000.md"]  # its change time moved
    assert "Edited! 0" in [a.title for a in library.articles]


def test_a_file_replaced_by_another_of_the_same_size_and_mtime_is_seen(root, cache_path, parsed):
    load(root, cache_path)
    parsed.clear()
    path = root / "2021" / "01" / "a000.md"
    before = path.stat()
    replacement = path.with_name("replacement.tmp")
    replacement.write_text(path.read_text().replace("Article 0", "Swapped 0"))
    os.utime(replacement, ns=(before.st_atime_ns, before.st_mtime_ns))
    os.replace(replacement, path)  # another inode
    assert path.stat().st_ino != before.st_ino
    library = load(root, cache_path)
    assert parsed == ["2021/01/a000.md"]
    assert "Swapped 0" in [a.title for a in library.articles]


def test_a_file_made_unreadable_is_reported_not_listed_from_the_cache(root, cache_path, parsed):
    if os.geteuid() == 0:
        pytest.skip("root reads every file; test_a_chmod_is_seen_and_an_unreadable_file_reported simulates it")
    load(root, cache_path)
    path = root / "2021" / "01" / "a000.md"
    path.chmod(0)
    try:
        library = load(root, cache_path)
    finally:
        path.chmod(0o644)
    assert "2021/01/a000.md" not in [a.path for a in library.articles]
    assert [(e.path, e.reason) for e in library.errors if e.path == "2021/01/a000.md"] == [
        ("2021/01/a000.md", "permission denied")
    ]


def test_a_chmod_is_seen_and_an_unreadable_file_reported(root, cache_path, parsed, monkeypatch):
    """As test_a_file_made_unreadable_is_reported_not_listed_from_the_cache, also as root: the
    chmod is real (its change time moves), the refusal to read is what a user other than root gets."""
    from reader import loading

    load(root, cache_path)
    parsed.clear()
    path = root / "2021" / "01" / "a000.md"
    path.chmod(0)
    real_read_text = loading.read_text

    def read_text(file):
        if os.stat(file).st_mode & 0o777 == 0:
            raise PermissionError(13, "Permission denied", str(file))
        return real_read_text(file)

    monkeypatch.setattr(loading, "read_text", read_text)
    try:
        library = load(root, cache_path)
    finally:
        path.chmod(0o644)
    assert parsed == ["2021/01/a000.md"]
    assert "2021/01/a000.md" not in [a.path for a in library.articles]
    assert ("2021/01/a000.md", "permission denied") in [(e.path, e.reason) for e in library.errors]


def test_a_deleted_file_disappears(root, cache_path, parsed):
    load(root, cache_path)
    (root / "2021" / "01" / "a000.md").unlink()
    (root / "2021" / "broken.md").unlink()
    parsed.clear()
    library = load(root, cache_path)
    assert parsed == []
    assert "2021/01/a000.md" not in [a.path for a in library.articles]
    assert library.errors == []
    assert len(library) == 11
    # and the cache forgot it: a load after that still agrees
    assert state(load(root, cache_path)) == state(library)


def test_a_new_file_appears(root, cache_path, parsed):
    load(root, cache_path)
    parsed.clear()
    write_article(root, "2022/new.md", article_text(99, title='"Brand new"'))
    library = load(root, cache_path)
    assert parsed == ["2022/new.md"]
    assert "Brand new" in [a.title for a in library.articles]
    assert len(library) == 13


def test_a_fixed_file_stops_being_an_error_and_a_broken_one_becomes_one(root, cache_path):
    load(root, cache_path)
    fixed = root / "2021" / "broken.md"
    fixed.write_text(article_text(500, title='"Fixed now"'))
    broken = root / "2021" / "01" / "a000.md"
    broken.write_text("---\n- not: [a mapping\n---\n")
    for path in (fixed, broken):
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 3_000_000_000))
    library = load(root, cache_path)
    assert "Fixed now" in [a.title for a in library.articles]
    assert [e.path for e in library.errors] == ["2021/01/a000.md"]


def test_a_file_turned_into_a_fifo_is_an_error_not_a_hang(root, cache_path):
    load(root, cache_path)
    path = root / "2021" / "01" / "a000.md"
    path.unlink()
    os.mkfifo(path)
    library = load(root, cache_path)
    assert "2021/01/a000.md" in [e.path for e in library.errors]
    assert "2021/01/a000.md" not in [a.path for a in library.articles]


def test_two_folders_share_one_cache_without_mixing(tmp_path, cache_path):
    first = make_library_folder(tmp_path / "one", 3)
    second = make_library_folder(tmp_path / "two", 5)
    load(first, cache_path)
    load(second, cache_path)
    assert len(load(first, cache_path)) == 3
    assert len(load(second, cache_path)) == 5


# --- a cache that cannot be trusted ------------------------------------------------------------------


def test_a_garbage_cache_file_is_rebuilt(root, cache_path, parsed):
    cache_path.parent.mkdir(parents=True)
    cache_path.write_bytes(b"this is not an sqlite file\x00\xff" * 1000)
    library = load(root, cache_path)
    assert len(library) == 12
    assert len(parsed) == 14
    parsed.clear()
    assert state(load(root, cache_path)) == state(library)
    assert parsed == []  # the rebuilt cache works


def test_a_cache_damaged_after_its_header_is_rebuilt(root, cache_path, parsed):
    expected = state(load(root, cache_path))
    data = bytearray(cache_path.read_bytes())
    assert len(data) > 200
    data[100:] = b"\xde\xad\xbe\xef" * ((len(data) - 100) // 4 + 1)
    cache_path.write_bytes(bytes(data[: len(data)]))
    for suffix in ("-wal", "-shm"):
        Path(f"{cache_path}{suffix}").unlink(missing_ok=True)
    parsed.clear()
    assert state(load(root, cache_path)) == expected
    assert state(load(root, cache_path)) == expected


def test_an_empty_cache_file_is_used(root, cache_path):
    cache_path.parent.mkdir(parents=True)
    cache_path.write_bytes(b"")
    assert len(load(root, cache_path)) == 12


def test_a_cache_with_another_schema_is_rebuilt(root, cache_path, parsed):
    expected = state(load(root, cache_path))
    with sqlite3.connect(cache_path) as db:
        db.execute("UPDATE meta SET value='reader-cache-0' WHERE key='schema'")
    parsed.clear()
    assert state(load(root, cache_path)) == expected
    assert len(parsed) == 14  # nothing of the old cache was trusted
    with sqlite3.connect(cache_path) as db:
        assert db.execute("SELECT value FROM meta WHERE key='schema'").fetchone() == (SCHEMA,)


def test_a_cache_of_another_program_is_replaced(root, cache_path):
    cache_path.parent.mkdir(parents=True)
    with sqlite3.connect(cache_path) as db:
        db.execute("CREATE TABLE articles (x)")
        db.execute("INSERT INTO articles VALUES (1)")
    assert len(load(root, cache_path)) == 12
    assert len(load(root, cache_path)) == 12


@pytest.mark.parametrize("damage", ["published_ts = 'garbage'", "published_ts = 1e300", "published_ts = X'00ff'"])
def test_rows_of_the_wrong_type_are_not_trusted(root, cache_path, damage):
    expected = state(load(root, cache_path))
    with sqlite3.connect(cache_path) as db:
        db.execute(f"UPDATE articles SET {damage} WHERE path LIKE '%a001.md'")
    assert state(load(root, cache_path)) == expected  # no crash, and the damage is not believed


# --- the articles folder is read only -------------------------------------------------------------------


def test_the_articles_folder_is_never_written(root, cache_path):
    before = listing(root)
    load(root, cache_path)
    load(root, cache_path)
    library = load(root, None)
    for index in range(len(library)):
        library.article(index)
    assert listing(root) == before


def test_a_read_only_articles_folder_loads(root, cache_path):
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere")
    folders = [root, *[p for p in root.rglob("*") if p.is_dir()]]
    for folder in folders:
        folder.chmod(0o555)
    try:
        assert len(load(root, cache_path)) == 12
    finally:
        for folder in folders:
            folder.chmod(0o755)


# --- processes -------------------------------------------------------------------------------------------


def _load_in_process(root: str, cache_path: str, barrier, results) -> None:
    barrier.wait(timeout=60)
    library = load(Path(root), Path(cache_path))
    results.put((len(library), sorted(e.path for e in library.errors)))


def test_two_processes_loading_at_once_both_succeed(tmp_path, cache_path):
    root = make_library_folder(tmp_path / "articles", 150)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(2)
    results = context.Queue()
    processes = [
        context.Process(target=_load_in_process, args=(str(root), str(cache_path), barrier, results)) for _ in range(2)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=90) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    assert [p.exitcode for p in processes] == [0, 0]
    assert outcomes == [(150, ["2021/broken.md"])] * 2
    # consistent afterwards: one row per file, and a warm load agrees with a fresh one
    with sqlite3.connect(cache_path) as db:
        paths = [row[0] for row in db.execute("SELECT path FROM articles")]
    assert len(paths) == len(set(paths)) == 153  # 150 articles, README.md, broken.md, cover.png
    assert state(load(root, cache_path)) == state(load(root, None))


def test_parallel_parsing_gives_the_same_library_as_one_process(tmp_path, monkeypatch):
    root = make_library_folder(tmp_path / "articles", 40)
    write_article(root, "2021/dup.md", article_text(3))  # a duplicate of a003.md
    write_article(root, "2021/binary.md", b"\x00\x01\x02")
    monkeypatch.setattr(folder_loader, "PARALLEL_FROM", 10)
    monkeypatch.setattr(folder_loader, "CHUNK_FILES", 7)
    parallel = load(root, tmp_path / "p.sqlite3", workers=2)
    serial = load(root, tmp_path / "s.sqlite3", workers=1)
    assert len(parallel) == 40
    assert [(d.path, d.kept) for d in parallel.duplicates] == [("2022/04/a003.md", "2021/dup.md")]
    assert state(parallel) == state(serial)
    # and what the parallel run stored is what a serial run stored
    assert state(load(root, tmp_path / "p.sqlite3")) == state(load(root, tmp_path / "s.sqlite3"))


@pytest.mark.parametrize("order", ["quality", "heat", "date"])
def test_the_first_screen_is_the_top_of_the_order_the_app_starts_in(root, cache_path, order, monkeypatch):
    monkeypatch.setattr(folder_loader, "FIRST_SCREEN_ROWS", 5)
    full = load(root, cache_path)
    first = FolderLoader(root, ArticleCache(cache_path)).first_screen(order)
    assert first is not None and not first.complete
    key = {"quality": SortKey.QUALITY, "heat": SortKey.HEAT, "date": SortKey.DATE}[order]
    expected = [full.articles[i].path for i in full.view(ALL, key)]
    shown = [first.articles[i].path for i in first.view(ALL, key)]
    assert shown == expected[:5]


def test_no_first_screen_without_a_cache_or_for_title_order(root, cache_path):
    assert FolderLoader(root, None).first_screen() is None
    load(root, cache_path)
    assert FolderLoader(root, ArticleCache(cache_path)).first_screen("title") is None


def test_a_broken_pool_falls_back_to_parsing_here(root, monkeypatch):
    """A parsing process that dies (or a pool that cannot start) costs speed, not articles."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    class BrokenPool:
        def submit(self, *args):
            future: Future = Future()
            future.set_exception(BrokenProcessPool("a parsing process died"))
            return future

        def shutdown(self, **kwargs):
            pass

    def start_broken_pool(self):
        self._pool = BrokenPool()
        queued, self._queue = self._queue, folder_loader.deque()
        for chunk, _ in queued:
            self._queue.append((chunk, self._submit(chunk)))

    monkeypatch.setattr(folder_loader, "PARALLEL_FROM", 3)
    monkeypatch.setattr(folder_loader, "CHUNK_FILES", 2)
    monkeypatch.setattr(folder_loader._ChunkParser, "_start_pool", start_broken_pool)
    broken = FolderLoader(root, None, workers=2).load()
    serial = FolderLoader(root, None, workers=1).load()
    assert len(broken) == len(serial) == 12
    assert [a.path for a in broken.articles] == [a.path for a in serial.articles]
    assert [e.path for e in broken.errors] == [e.path for e in serial.errors]


# --- names that are not UTF-8 ------------------------------------------------------------------------------
#
# os.fsdecode turns each byte that is not UTF-8 into a lone surrogate, which SQLite cannot take as text.


def write_bytes_name(folder: Path, name: bytes, text: str) -> str:
    """Write a file whose name is raw bytes; return the name as the loader sees it (os.fsdecode)."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(os.path.join(os.fsencode(folder), name), "wb") as file:
        file.write(text.encode())
    return os.fsdecode(name)


def test_a_file_name_that_is_not_utf8_is_cached_and_listed(root, cache_path, parsed):
    latin1 = write_bytes_name(root / "2021", b"caf\xe9.md", article_text(900, title='"Caf\\u00e9 news"'))
    # No title and no webUrl: the title and the id come from the name itself.
    bare = write_bytes_name(root / "2021", b"na\xefve \xff.md", "---\nquality: 5\nexcerpt: Plain words.\n---\nA body.\n")
    cold = load(root, cache_path)
    assert {"2021/" + latin1, "2021/" + bare} <= {a.path for a in cold.articles}
    assert "Café news" in [a.title for a in cold.articles]
    parsed.clear()
    warm = load(root, cache_path)
    assert parsed == []  # both were cached, not parsed again
    assert state(warm) == state(cold) == state(load(root, None))
    by_path = {a.path: a for a in warm.articles}
    assert by_path["2021/" + bare].id == "2021/" + bare  # the exact name, every byte of it
    assert os.fsencode(by_path["2021/" + latin1].path) == b"2021/caf\xe9.md"


def test_a_library_folder_whose_name_is_not_utf8_keeps_the_other_libraries(tmp_path, cache_path, parsed):
    plain = make_library_folder(tmp_path / "plain", 4)
    odd = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), b"nouvelles-\xe9t\xe9")))
    make_library_folder(odd, 6)
    assert len(load(plain, cache_path)) == 4
    assert len(load(odd, cache_path)) == 6  # cold
    parsed.clear()
    assert len(load(odd, cache_path)) == 6  # warm
    assert len(load(plain, cache_path)) == 4  # and the other library is still cached
    assert parsed == []
    with ArticleCache(cache_path) as cache:
        folders = {folder for folder, _files, _opened in cache.libraries()}
    assert folders == {str(plain.resolve()), str(odd.resolve())}


def test_any_text_round_trips_through_the_cache(tmp_path, cache_path):
    folder = Path(os.fsdecode(b"/library/\xff"))
    stamp = (1, 2, 3, 4)
    odd = [
        Record("caf\udce9.md", *stamp, ARTICLE, id="caf\udce9.md", title="T\udce9", quality=5, topics="a\x1fb\udcff"),
        Record("x\udc80/y.md", *stamp, ERROR, "bad \udc80"),
        Record(
            "plain.md", *stamp, ARTICLE, id="plain", title="Plain", heat=1, published_ts=1.5e9, url="https://a.example/"
        ),
    ]
    with ArticleCache(cache_path) as cache:
        cache.store(folder, odd)
        assert sorted(cache.records(folder)) == sorted(odd)
        articles = [r for r in odd if r.status == ARTICLE]
        cache.store_snapshot(folder, b"", {"quality": articles})  # the first page is written beside the snapshot
        assert sorted(cache.first_records(folder, 10)) == sorted(articles)
        cache.forget(folder, ["caf\udce9.md"])
        assert sorted(cache.records(folder)) == sorted(odd[1:])
        assert cache.warnings == []


# --- a cache that cannot be read or written is never an end ------------------------------------------------


def load_with_warnings(root: Path, cache_path: Path) -> tuple[Library, list[str]]:
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        return loader.load(), loader.warnings


def everything(library: Library) -> list[str]:
    return sorted(
        [a.path for a in library.articles] + [e.path for e in library.errors] + [s.path for s in library.skipped]
    )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> tuple[Path, bytes, tuple]:
    """A 30-file library, its cache as bytes, and what a load without cache gives."""
    folder = tmp_path_factory.mktemp("pristine")
    root = make_library_folder(folder / "articles", 30)
    cache_file = folder / "cache.sqlite3"
    load(root, cache_file)
    assert not Path(f"{cache_file}-wal").exists()  # closed cleanly: everything is in the one file
    return root, cache_file.read_bytes(), state(load(root, None))


@pytest.mark.parametrize("seed", range(100))
def test_twenty_random_bytes_of_damage_never_stop_a_load(pristine, tmp_path, seed):
    import random

    root, data, expected = pristine
    damaged = bytearray(data)
    rng = random.Random(seed)
    for _ in range(20):
        damaged[rng.randrange(len(damaged))] = rng.randrange(256)
    cache_file = tmp_path / "cache.sqlite3"
    cache_file.write_bytes(bytes(damaged))

    first, warnings = load_with_warnings(root, cache_file)
    assert everything(first) == everything_expected(expected), warnings
    assert len(first) == 30 and first.complete
    for summary in first.articles:  # what loading guarantees holds, whatever the damage
        text = "".join((summary.title, summary.provider.label, summary.category, *summary.topics))
        assert not re.search("[\x00-\x1f\x7f-\x9f]", text)
        assert summary.quality is None or 0 <= summary.quality <= 1_000_000
    assert len(warnings) <= 1
    if warnings:
        assert "cache damaged" in warnings[0]
        assert Path(f"{cache_file}.damaged").exists()  # moved aside, not deleted

    second, warnings = load_with_warnings(root, cache_file)
    assert warnings == []  # the damage was dealt with once, not on every run
    assert everything(second) == everything_expected(expected)


def everything_expected(expected: tuple) -> list[str]:
    articles, errors, skipped, _duplicates = expected
    return sorted([a.path for a in articles] + [path for path, _ in errors] + [path for path, _ in skipped])


class FaultyConnection:
    """A SQLite connection whose statements fail, as on a full disk or a read-only file."""

    def __init__(self, db: sqlite3.Connection, fails, error: sqlite3.Error) -> None:
        self._db = db
        self._fails = fails
        self._error = error

    def execute(self, sql: str, *args):
        if self._fails(sql):
            raise self._error
        return self._db.execute(sql, *args)

    def executemany(self, sql: str, rows):
        if self._fails(sql):
            raise self._error
        return self._db.executemany(sql, rows)

    def __getattr__(self, name: str):
        return getattr(self._db, name)


def sqlite_error(message: str, code: int) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code  # as SQLite's own errors carry it
    return error


def inject(monkeypatch, fails, error: sqlite3.Error) -> None:
    real = ArticleCache._connect
    monkeypatch.setattr(ArticleCache, "_connect", lambda self: FaultyConnection(real(self), fails, error))


DISK_FULL = sqlite_error("database or disk is full", 13)
READ_ONLY = sqlite_error("attempt to write a readonly database", 8)


def test_a_full_disk_while_storing_loads_everything_with_one_warning(root, cache_path, monkeypatch):
    inject(monkeypatch, lambda sql: sql.startswith("INSERT OR REPLACE INTO articles"), DISK_FULL)
    library, warnings = load_with_warnings(root, cache_path)
    assert state(library) == state(load(root, None))
    assert len(warnings) == 1 and "database or disk is full" in warnings[0] and "without it" in warnings[0]
    assert not Path(f"{cache_path}.damaged").exists()  # a full disk is no damage: the file stays
    monkeypatch.undo()
    assert state(load(root, cache_path)) == state(library)  # space again: the cache fills up


def test_a_full_disk_still_gives_a_warm_start(root, cache_path, monkeypatch, parsed):
    expected = state(load(root, cache_path))
    with sqlite3.connect(cache_path) as db:
        db.execute("UPDATE roots SET last_opened = 0")  # due to be written again
    parsed.clear()
    inject(monkeypatch, lambda sql: sql.startswith(("INSERT", "UPDATE", "DELETE")), DISK_FULL)
    library, warnings = load_with_warnings(root, cache_path)
    assert parsed == [] and state(library) == expected
    assert warnings == []  # nothing needed writing


def test_a_full_disk_at_open_loads_everything_with_one_warning(root, cache_path, monkeypatch):
    inject(monkeypatch, lambda sql: sql == "BEGIN IMMEDIATE", DISK_FULL)
    library, warnings = load_with_warnings(root, cache_path)
    assert state(library) == state(load(root, None))
    assert len(warnings) == 1 and "full" in warnings[0]


def test_a_read_only_cache_loads_everything_with_one_warning(root, cache_path, monkeypatch, parsed):
    load(root, cache_path)
    inject(monkeypatch, lambda sql: sql.startswith(("BEGIN", "INSERT", "UPDATE", "DELETE")), READ_ONLY)
    library, warnings = load_with_warnings(root, cache_path)
    assert state(library) == state(load(root, None))
    assert len(warnings) == 1 and "readonly" in warnings[0]
    assert cache_path.exists() and not Path(f"{cache_path}.damaged").exists()


def test_damage_found_while_storing_rebuilds_the_cache(root, cache_path, monkeypatch, parsed):
    load(root, cache_path)
    write_article(root, "2022/new.md", article_text(77))
    inject(
        monkeypatch,
        lambda sql: sql.startswith("INSERT OR REPLACE INTO articles"),
        sqlite_error("database disk image is malformed", 11),
    )
    library, warnings = load_with_warnings(root, cache_path)
    assert len(library) == 13
    assert len(warnings) == 1 and "moved aside" in warnings[0]
    assert Path(f"{cache_path}.damaged").exists()
    monkeypatch.undo()
    parsed.clear()
    again, warnings = load_with_warnings(root, cache_path)
    assert warnings == [] and state(again) == state(library)


def test_a_busy_cache_is_waited_for_then_done_without(root, cache_path, monkeypatch):
    monkeypatch.setattr(cache_module, "_OPEN_ATTEMPTS", 2)
    inject(monkeypatch, lambda sql: sql == "BEGIN IMMEDIATE", sqlite_error("database is locked", 5))
    library, warnings = load_with_warnings(root, cache_path)
    assert len(library) == 12
    assert len(warnings) == 1 and "locked" in warnings[0]
    assert not Path(f"{cache_path}.damaged").exists()  # someone else's cache in use: never moved


def test_a_cache_folder_that_cannot_be_made_loads_everything(root, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    library, warnings = load_with_warnings(root, blocker / "c.sqlite3")
    assert len(library) == 12
    assert len(warnings) == 1


def test_a_read_only_cache_file_loads_everything(root, cache_path):
    if os.geteuid() == 0:
        pytest.skip("root writes read-only files; test_a_read_only_cache_loads_everything_with_one_warning injects it")
    load(root, cache_path)
    for path in cache_path.parent.iterdir():
        path.chmod(0o444)
    try:
        library, warnings = load_with_warnings(root, cache_path)
    finally:
        for path in cache_path.parent.iterdir():
            path.chmod(0o644)
    assert len(library) == 12 and len(warnings) == 1


def test_a_read_only_cache_folder_loads_everything(root, cache_path):
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only folders; test_a_read_only_file_system_loads_everything mounts one")
    cache_path.parent.mkdir(parents=True)
    cache_path.parent.chmod(0o555)
    try:
        library, warnings = load_with_warnings(root, cache_path)
    finally:
        cache_path.parent.chmod(0o755)
    assert len(library) == 12 and len(warnings) == 1


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KB file system of its own (a tmpfs): root on Linux only."""
    if os.geteuid() != 0 or not sys.platform.startswith("linux") or not shutil.which("mount"):
        pytest.skip("mounting a small file system needs root on Linux; the tests injecting the fault still run")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k,mode=0755", "tmpfs", str(mount_point)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip("cannot mount a tmpfs here; the tests injecting the fault still run")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def fill(folder: Path) -> None:
    """Take every free byte of the file system holding ``folder``."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while os.write(fd, b"\0" * 4096):
            pass
    except OSError:
        pass  # ENOSPC: full
    finally:
        os.close(fd)


def test_a_really_full_disk_loads_everything(tmp_path, small_disk):
    root = make_library_folder(tmp_path / "articles", 60)
    cache_file = small_disk / "c.sqlite3"
    assert len(load(root, cache_file)) == 60
    for n in range(60, 160):
        write_article(root, f"2023/b{n:03d}.md", article_text(n, title=f'"{"Long title " * 20}{n}"'))
    fill(small_disk)
    library, warnings = load_with_warnings(root, cache_file)
    assert len(library) == 160
    # SQLite says "disk I/O error" or "database or disk is full", depending on which file it was writing
    assert len(warnings) == 1 and "without it" in warnings[0], warnings
    assert not Path(f"{cache_file}.damaged").exists()
    (small_disk / "filler").unlink()
    library, warnings = load_with_warnings(root, cache_file)
    assert len(library) == 160 and warnings == []


def test_a_full_disk_before_the_cache_exists_loads_everything(tmp_path, small_disk):
    root = make_library_folder(tmp_path / "articles", 20)
    fill(small_disk)
    library, warnings = load_with_warnings(root, small_disk / "c.sqlite3")
    assert len(library) == 20
    assert len(warnings) == 1


def test_a_read_only_file_system_loads_everything(tmp_path, small_disk):
    root = make_library_folder(tmp_path / "articles", 20)
    cache_file = small_disk / "c.sqlite3"
    load(root, cache_file)
    write_article(root, "2023/new.md", article_text(500))
    remounted = subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], capture_output=True)
    if remounted.returncode != 0:
        pytest.skip("cannot remount read-only here")
    library, warnings = load_with_warnings(root, cache_file)
    assert len(library) == 21
    assert len(warnings) == 1


# --- the cache forgets libraries ------------------------------------------------------------------------------

DAY = 86400.0


def rows_of(cache_file: Path) -> dict[str, int]:
    with ArticleCache(cache_file) as cache:
        return {folder: files for folder, files, _opened in cache.libraries()}


def test_a_deleted_library_is_pruned(tmp_path, cache_path):
    kept = make_library_folder(tmp_path / "kept", 3)
    deleted = make_library_folder(tmp_path / "deleted", 5)
    load(kept, cache_path)
    load(deleted, cache_path)
    assert rows_of(cache_path) == {str(kept.resolve()): 6, str(deleted.resolve()): 8}
    shutil.rmtree(deleted)
    with ArticleCache(cache_path) as cache:
        pruned = cache.prune()
    assert pruned == cache_module.Pruned([str(deleted.resolve())], 8)
    assert rows_of(cache_path) == {str(kept.resolve()): 6}
    assert len(load(kept, cache_path)) == 3


def test_a_library_not_opened_for_a_month_is_pruned(tmp_path, cache_path):
    old = make_library_folder(tmp_path / "old", 3)
    recent = make_library_folder(tmp_path / "recent", 4)
    now = 2_000_000_000.0
    for folder, opened in ((old, now - 31 * DAY), (recent, now - 29 * DAY)):
        with FolderLoader(folder, ArticleCache(cache_path), workers=1) as loader:
            loader.load()
            list(loader.cache.records(loader.root, now=opened))  # as if last opened then
    with ArticleCache(cache_path) as cache:
        assert cache.prune(now=now).folders == [str(old.resolve())]
    assert list(rows_of(cache_path)) == [str(recent.resolve())]


def test_the_cache_is_capped_oldest_library_first(tmp_path, cache_path):
    folders = [make_library_folder(tmp_path / name, 10) for name in ("first", "second", "third")]
    now = 2_000_000_000.0
    for age, folder in zip((3, 2, 1), folders, strict=True):
        with FolderLoader(folder, ArticleCache(cache_path), workers=1) as loader:
            loader.load()
            list(loader.cache.records(loader.root, now=now - age * DAY))
    with ArticleCache(cache_path) as cache:
        # 13 rows each; 30 allowed: the least recently opened goes, never the one kept
        pruned = cache.prune(max_rows=30, keep=folders[0].resolve(), now=now)
    assert pruned.folders == [str(folders[1].resolve())]
    assert sorted(rows_of(cache_path)) == sorted(str(f.resolve()) for f in (folders[0], folders[2]))


def test_pruning_gives_the_space_back(tmp_path, cache_path):
    big = make_library_folder(tmp_path / "big", 1000)
    load(big, cache_path)
    size = cache_path.stat().st_size
    shutil.rmtree(big)
    with ArticleCache(cache_path) as cache:
        assert cache.prune().rows == 1003
    assert cache_path.stat().st_size < size / 4


def test_a_load_prunes_at_most_once_a_day(tmp_path, cache_path, monkeypatch):
    root = make_library_folder(tmp_path / "articles", 2)
    gone = make_library_folder(tmp_path / "gone", 2)
    calls = []
    real_prune = ArticleCache.prune
    monkeypatch.setattr(ArticleCache, "prune", lambda self, **kw: calls.append(kw) or real_prune(self, **kw))
    load(gone, cache_path)
    assert len(calls) == 1  # the first load: never pruned yet
    shutil.rmtree(gone)
    load(root, cache_path)
    assert len(calls) == 1  # not again the same day
    assert str(gone.resolve()) in rows_of(cache_path)
    with ArticleCache(cache_path) as cache:
        assert cache.prune_if_due(keep=root.resolve(), now=time.time() + 1.1 * DAY) is not None
    assert list(rows_of(cache_path)) == [str(root.resolve())]


# --- names for the data ------------------------------------------------------------------------------------------


def test_the_table_holds_the_record_fields_in_order(cache_path, root):
    load(root, cache_path)
    with sqlite3.connect(cache_path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(articles)")]
    assert columns == ["root", *Record._fields, "escaped"]
