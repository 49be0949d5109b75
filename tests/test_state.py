"""The reading-state store: marks, undo, sightings, runs, export and import, and nothing lost.

Speed is measured by tests/bench/state_benchmark.py, not here.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from state_worker import bulk_ids

from reader import state as state_module
from reader.state import (
    SCHEMA_VERSION,
    StateError,
    StateImportError,
    StateStore,
    default_state_path,
)

WORKER = Path(__file__).resolve().parent / "state_worker.py"
T0 = 1_795_000_000.0  # 2026-11-18T11:06:40Z, a fixed "now" for tests that compare times


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "state.sqlite3"


@pytest.fixture
def store(path: Path):
    with StateStore(path) as opened:
        yield opened


def reopen(path: Path) -> StateStore:
    store = StateStore(path)
    assert store.warnings == []
    return store


def articles(store: StateStore) -> dict:
    return store.export()["articles"]


def real_connect_for(monkeypatch: pytest.MonkeyPatch, replace) -> None:
    """Make sqlite3.connect go through ``replace(real_connect, database, *args, **kwargs)``."""
    real = sqlite3.connect
    monkeypatch.setattr(sqlite3, "connect", lambda database, *a, **k: replace(real, database, *a, **k))


# --- where, and how the file is opened ---------------------------------------------


def test_the_state_file_is_in_the_data_folder_not_the_cache(private_state_dirs: Path):
    path = default_state_path()
    assert path == private_state_dirs / "xdg_data_home" / "reader-news" / "state.sqlite3"
    assert Path(os.environ["XDG_CACHE_HOME"]) not in path.parents


def test_a_new_file_is_wal_synchronous_full_and_of_the_current_version(store: StateStore, path: Path):
    assert store.saved and store.warnings == []
    assert path.is_file()
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_store_without_a_path_works_in_memory_without_a_warning():
    with StateStore(None) as store:
        store.mark_read(["a"])
        assert store.snapshot().read == {"a"}
        assert not store.saved and store.warnings == []


# --- marking, starring, undo -----------------------------------------------------------


def test_marks_are_kept_across_stores(store: StateStore, path: Path):
    store.mark_read(["a", "b"])
    store.star(["b", "c"])
    store.close()
    with reopen(path) as again:
        state = again.snapshot()
        assert state.read == {"a", "b"}
        assert state.starred == {"b", "c"}


def test_a_change_lists_only_the_articles_it_turned(store: StateStore):
    assert len(store.mark_read(["a", "b"])) == 2
    change = store.mark_read(["a", "b", "c", "c"])
    assert change.ids == ("c",)
    assert len(store.mark_read(["a", "zz"], read=False)) == 1  # zz was never read
    assert store.snapshot().read == {"b", "c"}


def test_unread_and_unstar(store: StateStore):
    store.mark_read(["a", "b"])
    store.star(["a"])
    store.mark_read(["a"], read=False)
    store.star(["a"], starred=False)
    state = store.snapshot()
    assert state.read == {"b"} and state.starred == frozenset()


def test_a_change_records_when_it_was_made(store: StateStore):
    change = store.star(["a"], now=T0)
    assert change.field == "starred" and change.value is True
    assert change.changed_at == T0
    assert articles(store)["a"]["starred_changed"] == "2026-11-18T11:06:40.000000Z"


def test_undo_puts_back_exactly_what_a_bulk_mark_replaced(store: StateStore):
    store.mark_read([f"old{n}" for n in range(50)], now=T0)  # read long ago
    store.mark_read([f"old{n}" for n in range(25)], read=False, now=T0 + 10)  # then unread again
    store.see([f"seen{n}" for n in range(30)], now=T0)
    before = articles(store)
    everything = [f"old{n}" for n in range(50)] + [f"seen{n}" for n in range(30)] + ["never"]
    change = store.mark_read(everything, now=T0 + 20)
    assert len(change) == 25 + 30 + 1
    assert store.snapshot().read >= set(everything)
    assert store.undo(change) == 56
    assert articles(store) == before
    assert store.snapshot().read == {f"old{n}" for n in range(25, 50)}


def test_undo_of_a_star_and_of_an_unmark(store: StateStore):
    store.star(["a"], now=T0)
    before = articles(store)
    change = store.star(["a", "b"], starred=False, now=T0 + 1)
    assert change.ids == ("a",)
    store.undo(change)
    assert articles(store) == before


def test_undo_keeps_a_newer_change_made_elsewhere(store: StateStore, path: Path):
    change = store.mark_read(["a", "b"], now=T0)
    with reopen(path) as other:
        other.mark_read(["a"], read=False, now=T0 + 5)
        other.mark_read(["a"], now=T0 + 6)  # read again, by the other window
    assert store.undo(change) == 1
    state = store.snapshot()
    assert state.read == {"a"}
    assert articles(store)["a"]["read_changed"] == "2026-11-18T11:06:46.000000Z"


def test_undo_twice_changes_nothing_the_second_time(store: StateStore):
    change = store.mark_read(["a"])
    assert store.undo(change) == 1
    store.mark_read(["a"], now=T0)  # a later mark at another time
    assert store.undo(change) == 0
    assert store.snapshot().read == {"a"}


def test_ids_must_be_strings_in_an_iterable(store: StateStore):
    with pytest.raises(TypeError):
        store.mark_read("https://a.example/1")
    with pytest.raises(TypeError):
        store.star(["a", 3])
    assert store.snapshot().read == frozenset()


def test_an_empty_mark_is_an_empty_change(store: StateStore):
    assert len(store.mark_read([])) == 0
    assert store.undo(store.star([])) == 0


def test_many_articles_across_chunks(store: StateStore, path: Path):
    ids = [f"https://news.example/{n}" for n in range(3 * state_module.CHUNK + 7)]
    store.see(ids[::2])
    change = store.mark_read(ids[1::3])
    store.star(ids[-5:])
    store.close()
    with reopen(path) as again:
        state = again.snapshot()
        assert state.read == set(ids[1::3])
        assert state.starred == set(ids[-5:])
        assert again.undo(change) == len(ids[1::3])
        assert again.snapshot().read == frozenset()


def test_threads_sharing_one_store_lose_nothing(store: StateStore):
    import threading

    def mark(prefix: str) -> None:
        for n in range(40):
            store.mark_read([f"{prefix}{n}"])

    threads = [threading.Thread(target=mark, args=(prefix,)) for prefix in "abc"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.snapshot().read) == 120


# --- sightings, runs, and what a vanished library does --------------------------------


def test_see_returns_the_ids_never_seen_and_remembers_when(store: StateStore):
    assert store.see(["a", "b", "a"], now=T0) == {"a", "b"}
    assert store.see(["a", "b", "c"], now=T0 + 60) == {"c"}
    assert store.see(["a", "b", "c"], now=T0 + 120) == set()
    state = store.snapshot()
    assert state.first_seen("a") == T0
    assert state.first_seen("c") == T0 + 60
    assert state.first_seen("nope") is None


def test_an_article_marked_before_it_was_seen_is_new_when_seen(store: StateStore):
    store.mark_read(["a"])
    assert store.snapshot().first_seen("a") is None
    assert store.see(["a"], now=T0) == {"a"}
    assert store.snapshot().read == {"a"}


def test_new_since_is_what_was_first_seen_from_that_moment(store: StateStore):
    store.see(["old"], now=T0)
    store.see(["new", "newer"], now=T0 + 100)
    assert store.snapshot(new_since=T0 + 100).new == {"new", "newer"}
    assert store.snapshot(new_since=T0 + 101).new == frozenset()
    assert store.snapshot().new == frozenset()


def test_runs_return_the_previous_start_per_folder(store: StateStore, tmp_path: Path):
    first = store.begin_run(tmp_path / "news", now=T0)
    assert first.previous_started_at is None and first.new_since is None
    assert store.begin_run(tmp_path / "other", now=T0 + 5).previous_started_at is None
    second = store.begin_run(tmp_path / "news", now=T0 + 10)
    assert second.previous_started_at == T0
    assert second.started_at == T0 + 10 == second.new_since


def test_a_folder_name_that_is_not_utf8_keeps_its_own_runs(store: StateStore, tmp_path: Path):
    odd = os.fsencode(tmp_path) + b"/caf\xe9"
    store.begin_run(odd, now=T0)
    store.begin_run(os.fsdecode(odd).replace("\udce9", "\u00e9"), now=T0 + 1)  # café in UTF-8: another folder
    assert store.begin_run(Path(os.fsdecode(odd)), now=T0 + 2).previous_started_at == T0
    folders = {row[0] for row in store._db.execute("SELECT folder FROM libraries")}
    assert folders == {odd, odd.replace(b"\xe9", "\u00e9".encode())}


def test_a_whole_day_of_new_articles_with_runs(store: StateStore, tmp_path: Path):
    """Yesterday's articles are not new today; today's are, until the next run."""
    library = tmp_path / "news"
    day = 86_400
    run = store.begin_run(library, now=T0)
    store.see(["monday1", "monday2"], now=T0 + 1)
    assert store.snapshot(new_since=run.new_since).new == frozenset()  # first run: nothing is "new"
    run = store.begin_run(library, now=T0 + day)
    store.see(["monday1", "monday2", "tuesday"], now=T0 + day + 1)
    assert store.snapshot(new_since=run.new_since).new == {"tuesday"}


def test_an_empty_or_vanished_library_erases_nothing(store: StateStore, tmp_path: Path):
    store.see(["a", "b"], now=T0)
    store.mark_read(["a"])
    store.star(["b"])
    store.begin_run(tmp_path / "gone", now=T0 + 1)
    assert store.see([], now=T0 + 2) == set()
    store.begin_run(tmp_path / "gone", now=T0 + 3)
    state = store.snapshot()
    assert state.read == {"a"} and state.starred == {"b"}
    assert state.first_seen("a") == T0


def test_another_store_notices_changes_cheaply(store: StateStore, path: Path):
    with reopen(path) as other:
        assert other.changed_elsewhere() is False
        store.mark_read(["a"])
        assert other.changed_elsewhere() is True
        assert other.changed_elsewhere() is False
        assert other.snapshot().read == {"a"}
        other.star(["b"])  # its own write is not news to itself
        assert other.changed_elsewhere() is False
        assert store.changed_elsewhere() is True
        assert store.snapshot().starred == {"b"}


# --- export and import ----------------------------------------------------------------


def test_export_is_json_with_iso_times(store: StateStore):
    store.see(["a"], now=T0)
    store.mark_read(["a"], now=T0 + 0.5)
    store.star(["b"], now=T0 + 1)
    data = json.loads(json.dumps(store.export()))
    assert data["format"] == "reader-news-state" and data["version"] == 1
    assert data["articles"] == {
        "a": {
            "read": True,
            "read_changed": "2026-11-18T11:06:40.500000Z",
            "starred": False,
            "starred_changed": None,
            "first_seen": "2026-11-18T11:06:40.000000Z",
        },
        "b": {
            "read": False,
            "read_changed": None,
            "starred": True,
            "starred_changed": "2026-11-18T11:06:41.000000Z",
            "first_seen": None,
        },
    }


def test_import_into_an_empty_store_gives_the_same_export(store: StateStore, tmp_path: Path):
    store.see(["a", "b", "c"], now=T0)
    store.mark_read(["a", "b"], now=T0 + 1)
    store.mark_read(["b"], read=False, now=T0 + 2)
    store.star(["c", "d"], now=T0 + 3)
    exported = store.export()
    with StateStore(tmp_path / "elsewhere.sqlite3") as other:
        counts = other.import_(json.loads(json.dumps(exported)))
        assert (counts.articles, counts.read, counts.starred, counts.first_seen) == (4, 1, 2, 3)
        assert other.export()["articles"] == exported["articles"]
        assert other.import_(exported) == type(counts)(4, 0, 0, 0)  # merging again changes nothing


def test_the_newer_change_wins_both_ways(tmp_path: Path):
    with StateStore(tmp_path / "laptop.sqlite3") as laptop, StateStore(tmp_path / "desk.sqlite3") as desk:
        laptop.see(["x", "y"], now=T0 + 50)
        desk.see(["x", "y"], now=T0)
        laptop.mark_read(["x"], now=T0 + 100)
        desk.mark_read(["x"], now=T0 + 50)
        desk.mark_read(["x"], read=False, now=T0 + 200)  # unread on the desk, later
        laptop.star(["y"], now=T0 + 300)  # starred on the laptop, later
        desk.star(["y"], now=T0 + 100)
        desk.star(["y"], starred=False, now=T0 + 150)
        from_laptop, from_desk = laptop.export(), desk.export()
        desk_counts = desk.import_(from_laptop)
        laptop_counts = laptop.import_(from_desk)
        for side in (laptop, desk):
            state = side.snapshot()
            assert state.read == frozenset()  # the desk's later "unread" wins
            assert state.starred == {"y"}  # the laptop's later star wins
            assert state.first_seen("x") == T0  # the earlier sighting wins
        assert laptop.export()["articles"] == desk.export()["articles"]
        assert (desk_counts.read, desk_counts.starred, desk_counts.first_seen) == (0, 1, 0)
        assert (laptop_counts.read, laptop_counts.starred, laptop_counts.first_seen) == (1, 0, 2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "not a reading-state export"),
        ({"format": "something else"}, "not a reading-state export"),
        ({"format": "reader-news-state", "version": 99, "articles": {}}, "newer version"),
        ({"format": "reader-news-state", "version": "1", "articles": {}}, "version"),
        ({"format": "reader-news-state", "version": 1}, "articles"),
        ({"format": "reader-news-state", "version": 1, "articles": {"a": 1}}, "article 'a'"),
        ({"format": "reader-news-state", "version": 1, "articles": {"a": {"read": "yes"}}}, "true or false"),
        ({"format": "reader-news-state", "version": 1, "articles": {"a": {"read": True}}}, "read_changed"),
        ({"format": "reader-news-state", "version": 1, "articles": {"a": {"first_seen": "soon"}}}, "ISO 8601"),
        ({"format": "reader-news-state", "version": 1, "articles": {"a": {"first_seen": 5}}}, "ISO 8601"),
        ({"format": "reader-news-state", "version": 1, "articles": {"a": {"first_seen": "1960-01-01"}}}, "1970"),
    ],
)
def test_a_bad_export_is_refused_with_a_message(store: StateStore, data, message):
    with pytest.raises(StateImportError, match=message):
        store.import_(data)


def test_a_bad_record_anywhere_imports_nothing(store: StateStore):
    good = {"read": True, "read_changed": "2026-11-18T11:06:40Z"}
    data = {
        "format": "reader-news-state",
        "version": 1,
        "articles": {"a": good, "b": good, "\x1b[31mc": {"starred": 1}},
    }
    with pytest.raises(StateImportError) as refused:
        store.import_(data)
    assert "\x1b" not in str(refused.value)  # the id is shown escaped
    assert store.snapshot().read == frozenset()


def test_times_without_a_zone_are_utc_and_unknown_fields_are_ignored(store: StateStore):
    store.import_(
        {
            "format": "reader-news-state",
            "version": 1,
            "exported_by": "a future reader",
            "articles": {"a": {"read": True, "read_changed": "2026-11-18T11:06:40", "colour": "blue"}},
        }
    )
    assert store.snapshot().read == {"a"}
    assert articles(store)["a"]["read_changed"] == "2026-11-18T11:06:40.000000Z"


ANY_TEXT = st.text(st.characters(codec=None, categories=None), max_size=30)  # surrogates and controls included


@settings(max_examples=60, deadline=None)
@given(
    st.dictionaries(
        ANY_TEXT,
        st.tuples(st.booleans(), st.booleans(), st.booleans()),
        max_size=12,
    )
)
def test_any_ids_round_trip_through_export_and_import(marks: dict[str, tuple[bool, bool, bool]]):
    with StateStore(None) as source, StateStore(None) as target:
        for number, (article_id, (read, starred, seen)) in enumerate(marks.items()):
            if seen:
                source.see([article_id], now=T0 + number)
            source.mark_read([article_id], read, now=T0 + number)
            source.star([article_id], starred, now=T0 + number)
        text = json.dumps(source.export())  # as `reader state export` writes it: ASCII, escapes kept
        target.import_(json.loads(text))
        assert target.export()["articles"] == source.export()["articles"]
        state = target.snapshot()
        assert state.read == {i for i, (read, _, _) in marks.items() if read}
        assert state.starred == {i for i, (_, starred, _) in marks.items() if starred}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["read", "unread", "star", "unstar", "undo", "see", "reopen"]),
            st.lists(st.sampled_from([f"id{n}" for n in range(8)] + ["https://x.example/é", "a\udcff"]), max_size=6),
        ),
        max_size=25,
    )
)
def test_any_sequence_of_marks_and_undos_matches_a_plain_model(tmp_path: Path, steps):
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        path = Path(folder) / "state.sqlite3"
        store = StateStore(path)
        read: set[str] = set()
        starred: set[str] = set()
        seen: set[str] = set()
        done: list[tuple] = []  # (change, the model's sets before it)
        for number, (action, ids) in enumerate(steps):
            now = T0 + number
            if action in ("read", "unread"):
                done.append((store.mark_read(ids, action == "read", now=now), set(read), set(starred)))
                read = read | set(ids) if action == "read" else read - set(ids)
            elif action in ("star", "unstar"):
                done.append((store.star(ids, action == "star", now=now), set(read), set(starred)))
                starred = starred | set(ids) if action == "star" else starred - set(ids)
            elif action == "undo" and done:
                change, read, starred = done.pop()
                store.undo(change)
            elif action == "see":
                assert store.see(ids, now=now) == set(ids) - seen
                seen |= set(ids)
            elif action == "reopen":
                store.close()
                store = reopen(path)
            state = store.snapshot()
            assert (state.read, state.starred) == (read, starred)
        store.close()


# --- nothing lost: kill -9, two processes ------------------------------------------------


def start_worker(*args: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    if line.strip() != "ready":
        process.kill()
        pytest.fail(f"the worker did not start: {line!r} {process.stderr.read()}")
    return process


def test_a_bulk_mark_killed_at_any_moment_is_all_or_nothing(path: Path):
    ids = set(bulk_ids(100_000))
    outcomes = []
    for delay in (0.0, 0.05, 0.12, 0.2, 0.3, 0.45, 0.6):
        worker = start_worker("bulk", str(path), "100000")
        time.sleep(delay)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        assert worker.returncode == -signal.SIGKILL
        with reopen(path) as store:
            marked = store.snapshot().read & ids
            assert len(marked) in (0, len(ids)), f"killed after {delay}s: {len(marked)} of 100,000 marked"
            outcomes.append(len(marked))
            assert store._db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    # The worker alternates read and unread: when kills land at different points both outcomes show up.
    # (Not asserted: on a very fast or very slow machine every kill could land the same way.)
    print("kill outcomes (articles read):", outcomes)


def test_two_processes_marking_at_once_lose_nothing(path: Path):
    StateStore(path).close()  # created once, so the two start on the same file
    workers = [start_worker("each", str(path), prefix, "150") for prefix in ("left-", "right-")]
    for worker in workers:
        worker.stdin.write("go\n")
        worker.stdin.flush()
    for worker in workers:
        assert worker.stdout.readline().strip() == "done", worker.stderr.read()
        worker.wait(timeout=30)
        assert worker.returncode == 0
    with reopen(path) as store:
        read = store.snapshot().read
        assert read == {f"{side}-{n}" for side in ("left", "right") for n in range(150)}


# --- damaged files -----------------------------------------------------------------------


def aside_files(path: Path) -> list[Path]:
    return sorted(p for p in path.parent.iterdir() if p.name.startswith(f"{path.name}.corrupt-"))


def assert_moved_aside(store: StateStore, path: Path, original: bytes | None) -> Path:
    assert len(store.warnings) == 1, store.warnings
    asides = [p for p in aside_files(path) if not p.name.endswith(("-wal", "-shm"))]
    assert len(asides) == 1
    aside = asides[0]
    assert str(aside) in store.warnings[0] and "moved to" in store.warnings[0]
    assert aside.name[len(path.name) :].startswith(".corrupt-20")  # the date is in the name
    if original is not None:
        assert aside.read_bytes() == original  # moved, never rewritten or deleted
    # ...and the fresh file keeps what is marked from now on.
    assert store.saved
    store.mark_read(["after"])
    store.close()
    with reopen(path) as again:
        assert again.snapshot().read == {"after"}
    return aside


def test_a_file_of_garbage_bytes_is_moved_aside(path: Path):
    path.parent.mkdir(parents=True)
    garbage = random.Random(4).randbytes(20_000)
    path.write_bytes(garbage)
    assert_moved_aside(StateStore(path), path, garbage)


def test_a_text_file_is_moved_aside(path: Path):
    path.parent.mkdir(parents=True)
    path.write_text("not a database\n" * 100)
    assert_moved_aside(StateStore(path), path, b"not a database\n" * 100)


def test_a_truncated_file_is_moved_aside_when_it_is_read(path: Path):
    with StateStore(path) as store:
        store.mark_read([f"https://news.example/{n}" for n in range(20_000)])
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    store = StateStore(path)
    assert store.snapshot().read == frozenset()  # it could not be read: a fresh start
    assert_moved_aside(store, path, whole[: len(whole) // 2])


def test_a_folder_where_the_file_should_be_is_moved_aside(path: Path):
    path.mkdir(parents=True)
    (path / "keep.txt").write_text("mine")
    store = StateStore(path)
    aside = assert_moved_aside(store, path, None)
    assert (aside / "keep.txt").read_text() == "mine"


def test_another_programs_database_is_moved_aside(path: Path):
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE recipes (name TEXT)")
    other.close()
    store = StateStore(path)
    assert "not a reading-state file" in store.warnings[0]
    aside = assert_moved_aside(store, path, None)
    with sqlite3.connect(aside) as kept:
        assert kept.execute("SELECT name FROM sqlite_master").fetchall() == [("recipes",)]
    kept.close()


def test_damage_found_while_running_moves_the_file_aside_and_goes_on(store: StateStore, path: Path):
    store.mark_read(["a"])
    with sqlite3.connect(path) as vandal:
        vandal.execute("UPDATE arrays SET data = x'0102' WHERE kind = 'read'")
    vandal.close()
    assert store.snapshot().read == frozenset()
    assert "read marks are unreadable" in store.warnings[0]
    assert_moved_aside(store, path, None)


def test_damage_found_by_a_mark_still_makes_the_mark(store: StateStore, path: Path):
    store.star(["a"])
    with sqlite3.connect(path) as vandal:
        vandal.execute("UPDATE ids SET data = '{broken'")
    vandal.close()
    change = store.mark_read(["b"])
    assert change.ids == ("b",)
    assert store.snapshot().read == {"b"}
    assert len(store.warnings) == 1 and "moved to" in store.warnings[0]


def test_a_window_follows_when_another_sets_the_damaged_file_aside(store: StateStore, path: Path):
    other = reopen(path)
    store.mark_read(["before"])
    with sqlite3.connect(path) as vandal:
        vandal.execute("UPDATE arrays SET data = x'00' WHERE kind = 'read'")
    vandal.close()
    assert store.snapshot().read == frozenset()  # this window found the damage and started afresh
    assert len(store.warnings) == 1
    assert other.changed_elsewhere() is True  # its timer notices the new file...
    other.mark_read(["after"])  # ...and it writes into the new file, not the one set aside
    assert store.changed_elsewhere() is True
    assert store.snapshot().read == {"after"}
    assert other.warnings == []
    other.close()


def test_two_damaged_files_in_the_same_second_get_two_names(path: Path):
    path.parent.mkdir(parents=True)
    for _ in range(2):
        path.write_bytes(b"garbage" * 100)
        StateStore(path).close()
    names = [p.name for p in aside_files(path) if not p.name.endswith(("-wal", "-shm"))]
    assert len(names) == 2 and len(set(names)) == 2


def test_a_file_from_a_newer_reader_is_left_alone_and_state_kept_in_memory(path: Path):
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as newer:
        newer.execute("CREATE TABLE future (x)")
        newer.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    newer.close()
    before = path.read_bytes()
    store = StateStore(path)
    assert not store.saved
    assert len(store.warnings) == 1 and "newer version" in store.warnings[0]
    store.mark_read(["a"])
    assert store.snapshot().read == {"a"}
    store.close()
    assert path.read_bytes() == before
    assert aside_files(path) == []


def test_warnings_never_carry_control_characters(tmp_path: Path):
    folder = tmp_path / "evil\x1b[31m\u202e\x07"
    folder.mkdir()
    path = folder / "state.sqlite3"
    path.write_bytes(b"\x00garbage" * 50)
    store = StateStore(path)
    assert store.warnings
    for warning in store.warnings:
        assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in warning), warning
        assert "\\x1b[31m" in warning  # shown, escaped
    store.close()


# --- a file that cannot be written ---------------------------------------------------------


def test_a_data_folder_that_cannot_be_created_leaves_state_in_memory(tmp_path: Path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    store = StateStore(default_state_path())
    assert not store.saved
    assert len(store.warnings) == 1
    assert "will not be saved" in store.warnings[0] and str(blocker) in store.warnings[0]
    store.mark_read(["a"])
    change = store.star(["a"])
    assert store.snapshot().starred == {"a"}
    store.undo(change)
    assert store.snapshot().starred == frozenset()
    assert len(store.warnings) == 1  # one warning, not one per mark
    store.close()


def test_a_connection_refused_as_read_only_leaves_state_in_memory(path: Path, monkeypatch):
    def refuse(real, database, *args, **kwargs):
        if str(database) == str(path):
            error = sqlite3.OperationalError("attempt to write a readonly database")
            error.sqlite_errorcode = 8  # SQLITE_READONLY
            raise error
        return real(database, *args, **kwargs)

    real_connect_for(monkeypatch, refuse)
    store = StateStore(path)
    assert not store.saved
    assert store.warnings == [
        f"Reading state will not be saved this run: {path} cannot be written (attempt to write a readonly "
        "database). Marks made now last until the reader quits."
    ]
    store.mark_read(["a"])
    assert store.snapshot().read == {"a"}
    store.close()
    assert not path.exists()


def test_a_read_only_file_still_shows_what_it_holds(path: Path, monkeypatch):
    with StateStore(path) as store:
        store.mark_read(["a"])
        store.star(["b"])
    before = path.read_bytes()

    def read_only(real, database, *args, **kwargs):
        if str(database) == str(path):
            return real(f"{path.as_uri()}?mode=ro", *args, uri=True, **kwargs)
        return real(database, *args, **kwargs)

    real_connect_for(monkeypatch, read_only)
    store = StateStore(path)
    assert not store.saved and len(store.warnings) == 1
    assert "readonly" in store.warnings[0]
    state = store.snapshot()
    assert state.read == {"a"} and state.starred == {"b"}
    store.mark_read(["c"])
    assert store.snapshot().read == {"a", "c"}
    store.close()
    monkeypatch.undo()
    assert path.read_bytes() == before
    with reopen(path) as again:
        assert again.snapshot().read == {"a"}


def test_a_file_that_turns_read_only_while_running_keeps_marks_in_memory(store: StateStore, path: Path):
    store.mark_read(["a"])
    store._db.close()
    store._db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
    change = store.star(["a"])
    assert change.ids == ("a",)
    assert not store.saved and len(store.warnings) == 1 and "can no longer be written" in store.warnings[0]
    state = store.snapshot()
    assert state.read == {"a"} and state.starred == {"a"}
    store.mark_read(["b"])
    assert len(store.warnings) == 1


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root writes into read-only folders; the fault-injection tests above cover a read-only file",
)
def test_a_read_only_data_folder_leaves_state_in_memory(path: Path):
    path.parent.mkdir(parents=True)
    path.parent.chmod(0o500)
    try:
        store = StateStore(path)
        assert not store.saved and len(store.warnings) == 1
        store.mark_read(["a"])
        assert store.snapshot().read == {"a"}
        store.close()
    finally:
        path.parent.chmod(0o700)


def test_a_state_file_that_cannot_be_read_says_so(store: StateStore, monkeypatch):
    def failing_read(self, kind):
        error = sqlite3.OperationalError("disk I/O error")
        error.sqlite_errorcode = 10  # SQLITE_IOERR
        raise error

    monkeypatch.setattr(StateStore, "_all_arrays", failing_read)
    with pytest.raises(StateError, match=r"^Reading state could not be read \(disk I/O error\)\.$"):
        store.snapshot()


def test_a_full_disk_refuses_the_mark_and_changes_nothing(store: StateStore):
    store.mark_read(["a"])
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages + 2}")  # what a full disk looks like to SQLite
    many = [f"https://news.example/{n}" for n in range(5_000)]
    with pytest.raises(StateError, match="could not be saved"):
        store.mark_read(many)
    assert store.snapshot().read == {"a"}
    assert "https://news.example/0" not in store._numbers  # the id map was rolled back too
    store.mark_read(["a"], read=False)  # a change that fits still goes through
    assert store.snapshot().read == frozenset()
    assert store.saved and store.warnings == []


# --- migration -------------------------------------------------------------------------------


def test_a_file_of_the_first_version_is_migrated(path: Path):
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as old:
        # Version 1 as it was written: a row per article, times in seconds.
        old.execute(
            "CREATE TABLE articles (id TEXT PRIMARY KEY, read INTEGER NOT NULL DEFAULT 0, read_at REAL, "
            "starred INTEGER NOT NULL DEFAULT 0, starred_at REAL, first_seen REAL) WITHOUT ROWID"
        )
        old.executemany(
            "INSERT INTO articles VALUES (?, ?, ?, ?, ?, ?)",
            [
                ("https://a.example/1", 1, T0 + 0.25, 0, None, T0 - 100),
                ("topic/b.md", 0, T0 + 5, 1, T0 + 6.125, None),
                ("https://c.example/café", 0, None, 0, None, T0 - 50),
            ],
        )
        old.execute("PRAGMA user_version = 1")
    old.close()
    store = StateStore(path)
    assert store.warnings == []
    assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {row[0] for row in store._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "articles" not in tables
    assert articles(store) == {
        "https://c.example/café": {
            "read": False,
            "read_changed": None,
            "starred": False,
            "starred_changed": None,
            "first_seen": "2026-11-18T11:05:50.000000Z",
        },
        "https://a.example/1": {
            "read": True,
            "read_changed": "2026-11-18T11:06:40.250000Z",
            "starred": False,
            "starred_changed": None,
            "first_seen": "2026-11-18T11:05:00.000000Z",
        },
        "topic/b.md": {
            "read": False,
            "read_changed": "2026-11-18T11:06:45.000000Z",
            "starred": True,
            "starred_changed": "2026-11-18T11:06:46.125000Z",
            "first_seen": None,
        },
    }
    assert store.begin_run(path.parent, now=T0).previous_started_at is None  # the table version 2 added
    store.mark_read(["topic/b.md"])
    store.close()
    with reopen(path) as again:
        assert again.snapshot().read == {"https://a.example/1", "topic/b.md"}


def test_two_stores_opening_a_new_file_at_once_both_work(path: Path):
    import threading

    stores: list[StateStore] = []
    threads = [threading.Thread(target=lambda: stores.append(StateStore(path))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(s.saved and s.warnings == [] for s in stores)
    for number, opened in enumerate(stores):
        opened.mark_read([f"a{number}"])
    assert stores[0].snapshot().read == {f"a{n}" for n in range(4)}
    for opened in stores:
        opened.close()


def test_a_store_opened_while_another_process_creates_the_file_waits(tmp_path, monkeypatch) -> None:
    """Two readers starting at once on a new file: "database is locked" at open is waited out, not
    taken for a file that cannot be written (which would keep this run's marks in memory only)."""
    import sqlite3

    import reader.state as state_module

    real = state_module._connect_file
    attempts = []

    def busy_twice(path):
        attempts.append(path)
        if len(attempts) <= 2:
            error = sqlite3.OperationalError("database is locked")
            error.sqlite_errorcode = sqlite3.SQLITE_BUSY
            raise error
        return real(path)

    monkeypatch.setattr(state_module, "_connect_file", busy_twice)
    store = state_module.StateStore(tmp_path / "state.sqlite3")
    try:
        assert store.saved and not store.warnings
        assert len(attempts) == 3
    finally:
        store.close()
