"""Reading state in the app: m, f, M, u, n / N, the Unread, Starred and New nodes,
marking on view and on open, and another window's marks showing up."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app import SIZE, article_text, highlighted_title, intercept_browser, list_lines, make_library, start, status

import reader.screens.main
from reader.app import ReaderApp
from reader.library import NEW, STARRED, UNREAD
from reader.state import StateStore, default_state_path
from reader.widgets.topic_tree import TopicTree


@pytest.fixture
def five(tmp_path: Path) -> Path:
    return make_library(
        tmp_path / "five",
        {
            f"{n}.md": article_text(f"Story {n}", quality=90 - n * 10, topics=["Space" if n % 2 else "Climate"])
            for n in range(5)
        },
    )


def manual(folder: Path, **options) -> ReaderApp:
    """An app that marks only when told (no 1.5 s timer racing the test)."""
    return ReaderApp(folder, use_cache=False, mark_read="manual", **options)


async def settle(app: ReaderApp, pilot) -> None:
    """Let the state thread write the change and the screen show it."""
    for _ in range(40):
        await pilot.pause(0.05)
        screen = app.main_screen
        if screen.reading is not None and not screen.session._state_jobs._work_queue.qsize():
            break
    await pilot.pause(0.1)


def tree_label(app: ReaderApp, data) -> str:
    tree = app.main_screen.query_one(TopicTree)
    for node in tree._all_nodes():
        if node.data == data:
            return str(node.label)
    raise AssertionError(data)


async def test_m_marks_read_and_unread_again(five: Path) -> None:
    app = manual(five)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await settle(app, pilot)
        assert list_lines(app)[0].startswith("•  Story 0")
        assert "5 unread" in status(app)
        assert tree_label(app, UNREAD) == "Unread 5"
        await pilot.press("m")
        await settle(app, pilot)
        assert list_lines(app)[0].startswith("   Story 0")
        assert "4 unread" in status(app)
        assert tree_label(app, UNREAD) == "Unread 4"
        assert tree_label(app, app.main_screen.list_query.node) == "All articles 4/5"
        await pilot.press("m")
        await settle(app, pilot)
        assert list_lines(app)[0].startswith("•  Story 0")
    # It was on disk before the screen showed it, and survives the app.
    with StateStore(default_state_path()) as store:
        assert not store.snapshot().read


async def test_f_stars_and_the_starred_node_lists_them(five: Path) -> None:
    app = manual(five)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await settle(app, pilot)
        await pilot.press("down", "f")
        await settle(app, pilot)
        assert list_lines(app)[1].startswith("•★ Story 1")
        assert tree_label(app, STARRED) == "Starred 1"
        screen = app.main_screen
        screen.list_query = screen.list_query.__class__(STARRED)
        await pilot.pause()
        assert [line.split()[1:3] for line in list_lines(app) if "Story" in line] == [["Story", "1"]]


async def test_M_marks_the_view_read_and_u_undoes_it(five: Path) -> None:
    app = manual(five)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(app, pilot)
        await settle(app, pilot)
        await pilot.press("m")  # one read by hand first: undo must restore exactly it
        await settle(app, pilot)
        await pilot.press("M")
        await settle(app, pilot)
        assert "0 unread" in status(app)
        assert any("4 articles marked read" in n.message for n in app._notifications)
        await pilot.press("u")
        await settle(app, pilot)
        assert "4 unread" in status(app)  # the bulk mark undone, the single one kept
        assert list_lines(app)[0].startswith("   Story 0")
        await pilot.press("u")
        await settle(app, pilot)
        assert "5 unread" in status(app)
        await pilot.press("u")
        await settle(app, pilot)
        assert any("Nothing to undo" in n.message for n in app._notifications)


async def test_n_and_N_go_to_the_next_and_previous_unread(five: Path) -> None:
    app = manual(five)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await settle(app, pilot)
        await pilot.press("down", "m", "down", "m", "home")  # Story 1 and 2 read
        await settle(app, pilot)
        await pilot.press("n")
        assert highlighted_title(app) == "Story 3"
        await pilot.press("N")
        assert highlighted_title(app) == "Story 0"


async def test_the_unread_node_and_reading_through_it(five: Path) -> None:
    app = manual(five)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await settle(app, pilot)
        screen = app.main_screen
        screen.list_query = screen.list_query.__class__(UNREAD)
        await pilot.pause()
        assert len(screen.article_list.rows) == 5
        await pilot.press("m")  # read: it leaves the Unread view, the cursor stays in place
        await settle(app, pilot)
        assert len(screen.article_list.rows) == 4
        assert highlighted_title(app) == "Story 1"
        assert "Unread 4" in status(app)


async def test_an_article_shown_a_moment_is_marked_read(five: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader.screens.main, "READ_AFTER_S", 0.2)
    app = ReaderApp(five, use_cache=False)  # mark_read = "on-view", the default
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.pause(0.5)
        await settle(app, pilot)
        assert list_lines(app)[0].startswith("   Story 0")
        assert list_lines(app)[1].startswith("•  Story 1")  # passed over quickly: still unread


async def test_manual_means_only_m_marks(five: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader.screens.main, "READ_AFTER_S", 0.1)
    app = manual(five)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.pause(0.4)
        await settle(app, pilot)
        assert list_lines(app)[0].startswith("•  Story 0")


async def test_opening_an_article_marks_it_read(five: Path) -> None:
    app = ReaderApp(five, use_cache=False, mark_read="on-open")
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await settle(app, pilot)
        recorder = intercept_browser(app)
        await pilot.press("down", "o")
        assert await recorder.seen() == ["https://www.example.com/story-1"]
        await settle(app, pilot)
        assert list_lines(app)[1].startswith("   Story 1")


async def test_state_survives_a_restart_and_new_articles_are_new(five: Path) -> None:
    app = manual(five)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await settle(app, pilot)
        await pilot.press("m", "f")
        await settle(app, pilot)
        assert tree_label(app, NEW) == "New since last run 0"  # the first run: nothing is "new"
    (five / "9.md").write_text(article_text("Fresh story", quality=99), encoding="utf-8")
    app = manual(five)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await settle(app, pilot)
        lines = list_lines(app)
        assert lines[0].startswith("•  Fresh story")
        assert lines[1].startswith(" ★ Story 0")  # read and starred, as left
        assert tree_label(app, NEW) == "New since last run 1"


async def test_another_windows_marks_show_up(five: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader.screens.main, "STATE_POLL_S", 0.2)
    app = manual(five)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await settle(app, pilot)
        story = app.main_screen.library.articles[app.main_screen.article_list.highlighted].id
        with StateStore(default_state_path()) as other:  # another window, or `reader mark`
            other.star([story])
        for _ in range(30):
            await pilot.pause(0.1)
            if list_lines(app)[0].startswith("•★"):
                break
        assert list_lines(app)[0].startswith("•★ Story 0")
