"""reader.folder_loader: a loader that can run again, owns its resources, and leaves no process behind."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import write_article
from test_cache import article_text, make_library_folder

from reader import folder_loader
from reader.cache import ARTICLE, ERROR, ArticleCache, Record
from reader.folder_loader import FolderLoader, LoadedRecords, LoadProgress, LoadStage
from reader.library import Library

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "bench"))

from corpus import write_corpus  # noqa: E402


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


def run(events) -> tuple[list[LoadProgress], list[Library]]:
    progress, libraries = [], []
    for event in events:
        (libraries if isinstance(event, Library) else progress).append(event)
    return progress, libraries


def titles(library: Library) -> list[str]:
    return sorted(a.title for a in library.articles)


def touch_later(path: Path, seconds: int = 5) -> None:
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + seconds * 1_000_000_000))


# --- one set of loaded records -------------------------------------------------------------------------


def record(path: str, title: str, stamp=(1, 2, 3, 4)) -> Record:
    return Record(path, *stamp, ARTICLE, None, path, title, "", "", "", "", None, None, 1, None, "", None)


def test_loaded_records_apply_forget_and_snapshot():
    loaded = LoadedRecords(fetch=lambda summary: None)
    loaded.apply([record("a.md", "A"), record("b.md", "B"), Record("c.md", 1, 2, 3, 4, ERROR, "broken")])
    first = loaded.snapshot(complete=False)
    assert titles(first) == ["A", "B"] and [e.path for e in first.errors] == ["c.md"]
    assert loaded.snapshot(complete=False) is first  # nothing changed: no new index
    complete = loaded.snapshot(complete=True)
    assert complete.complete and complete.articles is first.articles  # the same index, marked complete

    loaded.apply([record("a.md", "A")])  # the same record again: still nothing changed
    assert loaded.snapshot(complete=True) is complete
    loaded.apply([record("a.md", "A, edited", stamp=(9, 9, 9, 9))])
    loaded.forget(["b.md", "c.md", "never-loaded.md"])
    last = loaded.snapshot(complete=True)
    assert titles(last) == ["A, edited"] and last.errors == []
    assert loaded.stamp("a.md") == (9, 9, 9, 9) and "b.md" not in loaded and len(loaded) == 1


# --- running again ---------------------------------------------------------------------------------------


def test_events_run_again_parse_only_what_changed(root, cache_path, parsed):
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        first = loader.load()
        assert len(first) == 12
        parsed.clear()
        (root / "2021" / "01" / "a000.md").unlink()
        changed = root / "2022" / "02" / "a001.md"
        changed.write_text(article_text(1, title='"Rewritten"'))
        touch_later(changed)
        write_article(root, "2023/fresh.md", article_text(300, title='"Fresh"'))
        progress, libraries = run(loader.events())
    assert sorted(parsed) == ["2022/02/a001.md", "2023/fresh.md"]
    assert progress[0].stage is LoadStage.SCANNING  # the cache is read once, by the first run
    assert progress[-1] == LoadProgress(LoadStage.DONE, 2, 2)
    final = libraries[-1]
    assert final.complete and len(final) == 12
    assert "Rewritten" in titles(final) and "Fresh" in titles(final) and "Article 0" not in titles(final)


def test_a_rescan_that_finds_nothing_new_gives_the_same_library(root, parsed):
    loader = FolderLoader(root, None, workers=1)
    first = loader.load()
    parsed.clear()
    assert loader.load() is first
    assert parsed == []


def test_refresh_looks_only_at_the_paths_given(root, cache_path, parsed, monkeypatch):
    loader = FolderLoader(root, ArticleCache(cache_path), workers=1)
    loader.load()
    parsed.clear()
    edited = root / "2021" / "03" / "a002.md"
    edited.write_text(article_text(2, title='"Edited"'))
    touch_later(edited)
    write_article(root, "2024/new/one.md", article_text(401, title='"New one"'))
    write_article(root, "2024/new/two.md", article_text(402, title='"New two"'))
    (root / "2022" / "02" / "a001.md").unlink()
    for name in os.listdir(root / "2021" / "05"):
        os.unlink(root / "2021" / "05" / name)
    os.rmdir(root / "2021" / "05")
    unnoticed = root / "2021" / "07" / "a006.md"
    unnoticed.write_text(article_text(6, title='"Not asked about"'))
    touch_later(unnoticed)

    walked: list[Path] = []
    real_walk = folder_loader.walk
    monkeypatch.setattr(folder_loader, "walk", lambda root, under="": walked.append(under) or real_walk(root, under))
    progress, libraries = run(
        loader.refresh(
            [
                "2021/03/a002.md",
                root / "2024" / "new",  # a new folder, named by its absolute path
                "2022/02/a001.md",  # deleted
                "2021/05",  # a deleted folder
                ".hidden/x.md",  # never part of the library
                "../outside.md",
            ]
        )
    )
    loader.close()
    assert walked == ["2024/new"]  # no walk of the whole library
    assert sorted(parsed) == ["2021/03/a002.md", "2024/new/one.md", "2024/new/two.md"]
    final = libraries[-1]
    assert final.complete and progress[-1].stage is LoadStage.DONE
    assert {"Edited", "New one", "New two"} <= set(titles(final))
    assert "Article 1" not in titles(final) and "Article 4" not in titles(final)  # 2022/02/a001, 2021/05/a004
    assert "Article 6" in titles(final)  # not named, so not looked at
    # and the cache agrees: a new loader sees the same, parsing only the file refresh was not told about
    parsed.clear()
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as again:
        assert titles(again.load()) == sorted([*(t for t in titles(final) if t != "Article 6"), "Not asked about"])
    assert parsed == ["2021/07/a006.md"]


def test_refresh_of_the_folder_itself_rescans_everything(root, parsed):
    loader = FolderLoader(root, None, workers=1)
    loader.load()
    parsed.clear()
    write_article(root, "2030/late.md", article_text(1000))
    _, libraries = run(loader.refresh([root]))
    assert parsed == ["2030/late.md"] and len(libraries[-1]) == 13


def test_only_one_run_at_a_time(root):
    loader = FolderLoader(root, None, workers=1)
    running = loader.events()
    next(running)
    with pytest.raises(RuntimeError):
        next(loader.events())
    running.close()
    assert len(loader.load()) == 12  # the abandoned run let go


# --- the loader owns its cache ----------------------------------------------------------------------------


def test_closing_the_loader_closes_the_cache(root, cache_path):
    cache = ArticleCache(cache_path)
    with FolderLoader(root, cache, workers=1) as loader:
        loader.load()
        assert cache.available
    assert not cache.available
    assert loader.cancelled.is_set()
    # Closed, the cache is gone for good: nothing is read or written, and nothing raises.
    assert list(cache.records(loader.root)) == []
    cache.store(loader.root, [])
    cache.close()


def test_close_from_another_thread_stops_a_run(root, cache_path, monkeypatch):
    loader = FolderLoader(root, ArticleCache(cache_path), workers=1)
    events = loader.events()
    assert next(events) == LoadProgress(LoadStage.CACHE)
    threading.Thread(target=loader.close).start()
    time.sleep(0.1)
    rest = list(events)
    assert not any(isinstance(e, Library) and e.complete for e in rest)


def test_the_first_screen_can_be_read_from_another_thread_during_a_load(root, cache_path):
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        loader.load()
    failures: list[BaseException] = []
    firsts: list[int] = []
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        stop = threading.Event()

        def read_first_screens() -> None:
            try:
                while not stop.is_set():
                    first = loader.first_screen("heat")
                    firsts.append(len(first) if first is not None else -1)
            except BaseException as error:  # the test reports any of them
                failures.append(error)

        reader = threading.Thread(target=read_first_screens)
        reader.start()
        try:
            for _ in range(20):
                assert len(loader.load()) == 12
        finally:
            stop.set()
            reader.join(10)
    assert failures == []
    assert firsts and set(firsts) == {12}
    assert loader.warnings == []


# --- warm starts re-index nothing ---------------------------------------------------------------------------


def test_a_warm_start_of_a_folder_with_skipped_files_does_not_re_index(root, cache_path):
    # make_library_folder holds README.md (no front matter) and cover.png (not an article file)
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        loader.load()
    with FolderLoader(root, ArticleCache(cache_path), workers=1) as loader:
        progress, libraries = run(loader.events(first_screen=False))
    cached, final = libraries[0], libraries[-1]
    # The library read whole from the cache is the whole library; the walk found nothing to change.
    assert cached.complete and final is cached
    assert sorted(s.path for s in final.skipped) == ["2021/cover.png", "README.md"]
    assert progress[-1] == LoadProgress(LoadStage.DONE, 0, 0)


def test_stages_are_an_enum_that_still_reads_as_text(root):
    progress, _ = run(FolderLoader(root, None, workers=1).events())
    assert {p.stage for p in progress} == {LoadStage.SCANNING, LoadStage.PARSING, LoadStage.DONE}
    assert all(isinstance(p.stage, LoadStage) for p in progress)
    assert progress[-1].stage == "done"


# --- a failed load ------------------------------------------------------------------------------------------


def test_a_failed_load_raises_stops_its_processes_and_can_run_again(tmp_path, monkeypatch):
    import multiprocessing

    root = make_library_folder(tmp_path / "articles", 40)
    monkeypatch.setattr(folder_loader, "PARALLEL_FROM", 10)
    monkeypatch.setattr(folder_loader, "CHUNK_FILES", 7)
    loader = FolderLoader(root, None, workers=2)
    real_apply = LoadedRecords.apply
    calls = []

    def failing_apply(self, records):
        calls.append(1)
        if len(calls) == 3:
            raise MemoryError("no room for more records")
        return real_apply(self, records)

    monkeypatch.setattr(LoadedRecords, "apply", failing_apply)
    seen: list = []
    with pytest.raises(MemoryError):
        for event in loader.events():
            seen.append(event)
    assert not any(isinstance(e, LoadProgress) and e.stage is LoadStage.DONE for e in seen)
    assert multiprocessing.active_children() == []  # the pool was shut down on the way out
    monkeypatch.setattr(LoadedRecords, "apply", real_apply)
    assert len(loader.load()) == 40


# --- a killed load leaves no process behind -------------------------------------------------------------------

# A cold load whose parsing takes its time, so that it can be killed while the
# parsing processes work. The processes import this script as __mp_main__
# (spawn), where the slow parse_files is found.
KILLED_LOAD = """
import sys
import time
from pathlib import Path

from reader import folder_loader

real_parse_files = folder_loader.parse_files


def parse_slowly(root, entries, *names):
    print("parsing", flush=True)
    time.sleep(0.3)
    return real_parse_files(root, entries, *names)


if __name__ == "__main__":
    folder_loader.PARALLEL_FROM = 10
    folder_loader.CHUNK_FILES = 5
    folder_loader.parse_files = parse_slowly
    library = folder_loader.FolderLoader(Path(sys.argv[1]), None, workers=2).load()
    print("loaded", len(library), flush=True)
"""


def process_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, start time) of every process, from /proc."""
    table = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as file:
                text = file.read().decode(errors="replace")
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (command) "
        table[int(name)] = (int(fields[1]), fields[0], fields[19])
    return table


def descendants(pid: int) -> dict[int, str]:
    """Every process below ``pid``, with its start time (to tell a reused PID apart)."""
    table = process_table()
    found: dict[int, str] = {}
    parents = [pid]
    while parents:
        parent = parents.pop()
        for child, (ppid, _state, started) in table.items():
            if ppid == parent and child not in found:
                found[child] = started
                parents.append(child)
    return found


def survivors(processes: dict[int, str]) -> list[int]:
    table = process_table()
    return [
        pid for pid, started in processes.items() if pid in table and table[pid][2] == started and table[pid][1] != "Z"
    ]


@pytest.fixture(scope="module")
def corpus_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus") / "articles"
    write_corpus(folder, 120)
    return folder


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the process tree from /proc")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_load_leaves_no_process_behind(corpus_folder, tmp_path, how):
    script = tmp_path / "killed_load.py"
    script.write_text(KILLED_LOAD)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, str(script), str(corpus_folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    children: dict[int, str] = {}
    try:
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready and process.stdout.readline().strip() == "parsing", process.stderr.read()
        children = descendants(process.pid)
        assert len(children) >= 3  # two parsing processes and multiprocessing's resource tracker
        process.send_signal(how)
        process.wait(30)
        deadline = time.monotonic() + 5
        while survivors(children) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert survivors(children) == []
        if how == signal.SIGTERM:
            _, errors = process.communicate(timeout=10)
            assert process.returncode == 128 + signal.SIGTERM
            assert "Traceback" not in errors and "leaked" not in errors, errors
    finally:
        for pid in [process.pid, *survivors(children)]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)  # only processes this test started
        process.wait(10)
