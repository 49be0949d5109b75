"""The live library: files added, changed, renamed and removed while the app is open."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from test_app import SIZE, article_text, highlighted_title, make_library, start, titles

import reader.watcher
from reader.app import ReaderApp
from reader.messages import LibraryLoaded
from reader.watcher import FolderWatcher, WatchMode


def app_for(folder: Path, **options) -> ReaderApp:
    return ReaderApp(folder, use_cache=False, mark_read="manual", **options)


async def wait_for(pilot, condition, seconds: float = 4.0) -> float:
    """Pause until ``condition()`` holds; how long it took (fails after ``seconds``)."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > seconds:
            raise AssertionError("timed out")
        await pilot.pause(0.05)
    return time.monotonic() - started


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_library(
        tmp_path / "live", {f"{n:02}.md": article_text(f"Story {n}", quality=80 - n) for n in range(20)}
    )


async def test_added_changed_renamed_and_removed_files_show_within_two_seconds(folder: Path) -> None:
    app = app_for(folder)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("down", "down", "down")
        assert highlighted_title(app) == "Story 3"

        (folder / "new.md").write_text(article_text("Breaking story", quality=99), encoding="utf-8")
        took = await wait_for(pilot, lambda: "Breaking story" in titles(app))
        assert took < 2.0
        assert titles(app)[0] == "Breaking story"
        assert highlighted_title(app) == "Story 3"  # the cursor stays on its article
        assert "1 new article" in str(app.main_screen.query_one("#status-news").render())

        (folder / "05.md").write_text(article_text("Story 5, corrected", quality=75), encoding="utf-8")
        await wait_for(pilot, lambda: "Story 5, corrected" in titles(app))
        assert "Story 5" not in titles(app)

        # Renamed: the same story (same link) under another name is still one article.
        (folder / "06.md").rename(folder / "06-renamed.md")
        await wait_for(
            pilot, lambda: any(a.path == "06-renamed.md" for a in app.main_screen.library.articles)
        )
        assert titles(app).count("Story 6") == 1

        (folder / "07.md").unlink()
        await wait_for(pilot, lambda: "Story 7" not in titles(app))
        assert highlighted_title(app) == "Story 3"


async def test_the_scroll_position_does_not_jump(tmp_path: Path) -> None:
    folder = make_library(
        tmp_path / "many", {f"{n:03}.md": article_text(f"Story {n}", quality=90 - n % 90) for n in range(150)}
    )
    app = app_for(folder)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        article_list = app.main_screen.article_list
        for _ in range(40):
            await pilot.press("down")
        before = highlighted_title(app)
        row_on_screen = article_list.cursor - article_list.scroll_offset.y
        (folder / "top.md").write_text(article_text("On top of everything", quality=99), encoding="utf-8")
        await wait_for(pilot, lambda: "On top of everything" in titles(app))
        await pilot.pause(0.1)
        assert highlighted_title(app) == before
        assert article_list.cursor - article_list.scroll_offset.y == row_on_screen


async def test_a_burst_of_files_is_one_update(folder: Path) -> None:
    app = app_for(folder)
    live: dict[int, LibraryLoaded] = {}  # a message bubbles: the hook sees it at each stop

    def hook(message) -> None:
        if isinstance(message, LibraryLoaded) and message.live:
            live[id(message)] = message

    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await start(app, pilot)
        burst = folder / "burst"
        burst.mkdir()
        for n in range(1000):
            (burst / f"{n:04}.md").write_text(article_text(f"Burst {n}", quality=10), encoding="utf-8")
        await wait_for(pilot, lambda: len(app.main_screen.library) == 1020, seconds=10)
        assert len(live) <= 3  # a batch or two, not a thousand repaints
        assert sum(m.added for m in live.values()) == 1000


async def test_a_half_written_file_is_read_again(folder: Path) -> None:
    app = app_for(folder)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        path = folder / "slow.md"
        text = article_text("Written slowly", quality=99)
        with path.open("w", encoding="utf-8") as handle:
            handle.write(text[:25])  # the front matter is cut mid-way: not valid yet
            handle.flush()
            await pilot.pause(1.2)  # long enough for the watcher to read it broken
            handle.write(text[25:])
        await wait_for(pilot, lambda: "Written slowly" in titles(app), seconds=5)
        assert not any(e.path == "slow.md" for e in app.main_screen.library.errors)


async def test_r_rescans_when_not_watching(folder: Path) -> None:
    app = app_for(folder, watch="off")
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        (folder / "new.md").write_text(article_text("Found by a rescan", quality=99), encoding="utf-8")
        await pilot.pause(1.0)
        assert "Found by a rescan" not in titles(app)  # nobody is watching
        await pilot.press("r")
        took = await wait_for(pilot, lambda: "Found by a rescan" in titles(app))
        assert took < 1.5


async def test_polling_folders_finds_new_files(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader.watcher, "POLL_S", 0.2)
    app = app_for(folder, watch="poll")
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        time.sleep(0.01)  # a folder mtime that differs from the one polled first
        (folder / "new.md").write_text(article_text("Found by polling", quality=99), encoding="utf-8")
        await wait_for(pilot, lambda: "Found by polling" in titles(app))


def test_the_poll_watcher_stats_folders_not_files(tmp_path: Path) -> None:
    make_library(tmp_path / "lib", {f"a/{n}.md": article_text(f"S {n}") for n in range(5)})
    watcher = FolderWatcher(tmp_path / "lib", WatchMode.POLL, poll_s=0.05)
    stop = threading.Event()
    batches = watcher.batches(stop)
    assert next(batches) == set()  # a heartbeat: nothing changed
    time.sleep(0.01)
    (tmp_path / "lib" / "b").mkdir()
    changed = next(batches)
    assert changed == {str(tmp_path / "lib")}
    time.sleep(0.01)
    (tmp_path / "lib" / "b" / "x.md").write_text(article_text("X"), encoding="utf-8")
    assert next(batches) == {str(tmp_path / "lib" / "b")}  # the new folder is watched too
    stop.set()


def test_the_event_watcher_batches_a_burst(tmp_path: Path) -> None:
    root = tmp_path / "lib"
    root.mkdir()
    watcher = FolderWatcher(root, WatchMode.AUTO)
    stop = threading.Event()
    seen: list[set[str]] = []

    def collect() -> None:
        for batch in watcher.batches(stop):
            if batch:
                seen.append(batch)

    thread = threading.Thread(target=collect)
    thread.start()
    time.sleep(0.3)
    for n in range(200):
        (root / f"{n}.md").write_text("x", encoding="utf-8")
    time.sleep(1.5)
    stop.set()
    thread.join(5)
    assert not watcher.polling
    assert 1 <= len(seen) <= 2
    assert {Path(p).name for batch in seen for p in batch} >= {f"{n}.md" for n in range(200)}


async def test_R_fetches_the_feeds_and_the_live_library_brings_them_in(tmp_path: Path) -> None:
    """R in the app: the followed feeds fetched (from a local server) into the open feeds folder."""
    from test_feeds import FeedServer

    from reader.feeds import add_feed

    server = FeedServer()
    try:
        server.serve_fixture("/rss", "rss2.xml")
        add_feed(server.url("/rss"), name="Local news")
        folder = tmp_path / "feeds"
        folder.mkdir()
        app = app_for(folder, feeds_into=folder)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await start(app, pilot)
            assert titles(app) == []
            await pilot.press("R")
            await wait_for(pilot, lambda: len(titles(app)) >= 2, seconds=8)
            await wait_for(pilot, lambda: any(n.message.startswith("Feeds: ") for n in app._notifications))
            summary = next(n.message for n in app._notifications if n.message.startswith("Feeds: "))
            assert "new" in summary and "failed" not in summary
    finally:
        server.close()


async def test_a_reader_at_the_top_sees_what_arrives_there(folder: Path) -> None:
    app = app_for(folder)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        (folder / "new.md").write_text(article_text("Arrived on top", quality=99), encoding="utf-8")
        await wait_for(pilot, lambda: "Arrived on top" in titles(app))
        await pilot.pause(0.1)
        article_list = app.main_screen.article_list
        assert article_list.scroll_offset.y == 0
        assert "Arrived on top" in article_list.render_line(0).text
        assert highlighted_title(app) == "Story 0"  # the cursor stayed on its article


async def test_articles_arriving_during_the_first_run_are_new(folder: Path) -> None:
    from reader.library import NEW

    app = app_for(folder)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await wait_for(pilot, lambda: app.main_screen.reading is not None)
        await pilot.pause(0.3)
        assert app.main_screen.library.count_of(NEW, app.main_screen.reading) == 0
        (folder / "new.md").write_text(article_text("Arrived while open", quality=99), encoding="utf-8")
        await wait_for(pilot, lambda: app.main_screen.library.count_of(NEW, app.main_screen.reading) == 1)
