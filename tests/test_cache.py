"""reader.cache and reader.folder_loader: a warm start parses nothing, and the cache is never trusted blindly."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
from pathlib import Path

import pytest
from conftest import front_matter, write_article

from reader import folder_loader
from reader.cache import SCHEMA, ArticleCache
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

    def counting(root: Path, entries):
        calls.extend(entry.path for entry in entries)
        return real(root, entries)

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
    assert len(paths) == len(set(paths)) == 152  # 150 articles, README.md, broken.md
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
