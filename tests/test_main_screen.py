"""The main screen after the split: one query value, reading article after article,
resizing, clicking headings, themes, hostile names, failed loads and slow browsers."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest
from test_app import (
    SIZE,
    article_text,
    highlighted_title,
    list_lines,
    make_library,
    screen_segments_text,
    start,
    status,
    titles,
)

from reader.app import ReaderApp
from reader.folder_loader import FolderLoader, LoadProgress, LoadStage
from reader.library import SortKey
from reader.messages import LibraryLoaded
from reader.widgets.article_detail import RelatedList
from reader.widgets.article_list import ListHeading


@pytest.fixture
def ten_folder(tmp_path: Path) -> Path:
    # Quality 90 down to 0, with bodies long enough to scroll the article pane.
    body = "\n\n".join(f"Paragraph {n} of a long body that goes on." for n in range(60))
    return make_library(
        tmp_path / "ten",
        {
            f"{n:02}.md": article_text(
                f"Story {n}",
                quality=90 - n * 10,
                provider=("Policy Wire Europe Daily", "policywire.eu"),
                body=body,
                related=[{"title": f"Other {n}", "webUrl": f"https://elsewhere.example.org/{n}"}],
            )
            for n in range(10)
        },
    )


# --- reading one article after another (J / K) ------------------------------------------


async def test_J_and_K_move_between_articles_from_the_article_pane(ten_folder: Path) -> None:
    app = ReaderApp(ten_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        screen = app.main_screen
        screen.detail.focus()
        await pilot.press("pagedown", "pagedown")
        assert screen.detail.scroll_y > 0
        await pilot.press("J")
        await pilot.pause(0.2)
        assert highlighted_title(app) == "Story 1"
        assert screen.detail.article is not None and screen.detail.article.title == "Story 1"
        assert app.focused is screen.detail  # still reading, not sent back to the list
        assert screen.detail.scroll_y == 0  # a new article starts at its top
        await pilot.press("J", "J", "K")
        await pilot.pause(0.2)
        assert highlighted_title(app) == "Story 2"
        assert app.focused is screen.detail


async def test_g_and_G_in_the_article_pane(ten_folder: Path) -> None:
    app = ReaderApp(ten_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        detail = app.main_screen.detail
        detail.focus()
        await pilot.press("G")
        await pilot.wait_for_scheduled_animations()  # the pane scrolls smoothly: wait for it to land
        assert detail.scroll_y == detail.max_scroll_y > 0
        await pilot.press("g")
        await pilot.wait_for_scheduled_animations()
        assert detail.scroll_y == 0


async def test_tab_into_related_stories_highlights_the_first(ten_folder: Path) -> None:
    app = ReaderApp(ten_folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("tab", "tab")  # list -> article -> related stories
        await pilot.pause()
        related = app.main_screen.query_one(RelatedList)
        assert app.focused is related
        assert related.highlighted == 0


# --- the list on resize, at width, and its headings ------------------------------------


async def test_the_cursor_row_stays_visible_when_the_terminal_shrinks(ten_folder: Path, tmp_path: Path) -> None:
    many = make_library(
        tmp_path / "many", {f"{n:03}.md": article_text(f"Story {n}", quality=n % 100) for n in range(120)}
    )
    app = ReaderApp(many, use_cache=False)
    async with app.run_test(size=(120, 35)) as pilot:
        await start(app, pilot)
        article_list = app.main_screen.article_list
        await pilot.press("end")
        await pilot.pause()
        last = highlighted_title(app)
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.2)
        top = article_list.scroll_offset.y
        height = article_list.scrollable_content_region.height
        assert top <= article_list.cursor < top + height
        assert any(last in line for line in list_lines(app))


async def test_wide_lists_give_the_provider_more_room(ten_folder: Path) -> None:
    app = ReaderApp(ten_folder, use_cache=False)
    async with app.run_test(size=(200, 50)) as pilot:
        await start(app, pilot)
        assert "Policy Wire Europe Daily" in list_lines(app)[0]
    app = ReaderApp(ten_folder, use_cache=False)
    async with app.run_test(size=(120, 35)) as pilot:
        await start(app, pilot)
        line = list_lines(app)[0]
        assert "Policy Wire" in line and "Policy Wire Europe Daily" not in line


async def test_clicking_a_column_heading_sorts_by_it(tmp_path: Path) -> None:
    folder = make_library(
        tmp_path / "lib",
        {
            "a.md": article_text("Alpha", quality=90, heat=10),
            "b.md": article_text("Beta", quality=50, heat=80),
        },
    )
    app = ReaderApp(folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        heading = app.main_screen.query_one(ListHeading)
        text = str(heading.render())
        assert "Qual↓" in text
        await pilot.click(ListHeading, offset=(text.index("Heat") + 1, 0))
        await pilot.pause()
        assert app.main_screen.list_query.sort is SortKey.HEAT
        assert titles(app) == ["Beta", "Alpha"]
        assert "Heat↓" in str(heading.render())
        await pilot.click(ListHeading, offset=(text.index("Heat") + 1, 0))  # again: reversed
        await pilot.pause()
        assert app.main_screen.list_query.reverse
        assert titles(app) == ["Alpha", "Beta"]
        await pilot.click(ListHeading, offset=(text.index("Title") + 1, 0))
        await pilot.pause()
        assert app.main_screen.list_query.sort is SortKey.TITLE
        assert "sorted by title ↑" in status(app)


# --- colours from the theme -----------------------------------------------------------------


def _segment_style(app: ReaderApp, needle: str):
    strip = app.main_screen.article_list.render_line(0)
    for segment in strip:
        if needle in segment.text:
            return segment.style
    raise AssertionError(f"no segment with {needle!r}")


def _contrast(style) -> float:
    """WCAG contrast ratio between a segment's text and background colours."""

    def luminance(color) -> float:
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        r, g, b = color.get_truecolor()
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)

    a, b = sorted((luminance(style.color), luminance(style.bgcolor)), reverse=True)
    return (a + 0.05) / (b + 0.05)


@pytest.mark.parametrize("theme", ["textual-light", "solarized-light", "catppuccin-latte", "textual-dark", "nord"])
async def test_provider_and_date_are_readable_in_every_theme(ten_folder: Path, theme: str) -> None:
    app = ReaderApp(ten_folder, use_cache=False, theme=theme)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert app.theme == theme
        for selected in (True, False):
            if not selected:
                await pilot.press("down")
                await pilot.pause()
                app.main_screen.article_list.focus()
            style = _segment_style(app, "Policy Wire")
            assert style.color is not None and style.bgcolor is not None
            # Muted, yet readable: neither invisible nor pure white on a light background.
            assert 2.0 < _contrast(style) < 15, (theme, style)
            date = _segment_style(app, "2021-07-01")
            assert 2.0 < _contrast(date) < 15, (theme, date)
        if theme == "textual-dark":  # muted is not pure white
            assert style.color.get_truecolor() != (255, 255, 255)


async def test_list_colours_follow_a_theme_change(ten_folder: Path) -> None:
    app = ReaderApp(ten_folder, use_cache=False, theme="textual-dark")
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        dark = _segment_style(app, "Policy Wire")
        app.theme = "textual-light"
        await pilot.pause(0.2)
        light = _segment_style(app, "Policy Wire")
        assert dark.bgcolor != light.bgcolor and dark.color != light.color
        assert _contrast(light) > 2.0


async def test_a_theme_chosen_in_the_app_is_remembered(ten_folder: Path) -> None:
    remembered: list[dict] = []

    def remember(**choices):
        remembered.append(choices)
        return None

    app = ReaderApp(ten_folder, use_cache=False, theme="textual-dark", remember=remember)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert remembered == []  # the configured theme is not a new choice
        app.theme = "nord"
        await pilot.press("s")
        await pilot.pause()
    assert {"theme": "nord"} in remembered
    assert {"sort": SortKey.HEAT, "reverse": False} in remembered


async def test_an_unknown_theme_is_reported_and_the_app_starts(ten_folder: Path) -> None:
    app = ReaderApp(ten_folder, use_cache=False, theme="no-such-theme\x1b]0;x\x07")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(app, pilot)
        messages = [n.message for n in app._notifications]
        assert any("unknown theme" in m for m in messages)
        assert not any("\x1b" in m for m in messages)
        assert app.theme == "textual-dark"


# --- hostile names ----------------------------------------------------------------------------


async def test_a_hostile_library_folder_name_is_shown_escaped(tmp_path: Path) -> None:
    folder = make_library(tmp_path / "news\x1b]0;pwned\x07\x1b[2J\nfake", {"a.md": article_text("Alpha")})
    app = ReaderApp(folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert "news\\e]0;pwned\\x07\\e[2J\\nfake" in status(app)
        shown = screen_segments_text(app)
        assert "\x1b" not in shown and "\x07" not in shown


async def test_hostile_file_names_on_the_errors_screen(tmp_path: Path) -> None:
    folder = make_library(
        tmp_path / "lib",
        {
            "good.md": article_text("Alpha"),
            "\x1b]52;c;cm0gLXJmIH4K\x1b\\broken.md": "---\ntitle: [unclosed\n---\n",
            "line\nbreak\u202e.md": "---\ntitle: [unclosed\n---\n",
        },
    )
    app = ReaderApp(folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("e")
        await pilot.pause()
        shown = screen_segments_text(app)
        assert "\\e]52;c;cm0gLXJmIH4K\\e\\\\broken.md" in shown
        assert "line\\nbreak\\u202e.md" in shown
        assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in shown)


# --- the bugs found in review -----------------------------------------------------------------


async def test_a_related_story_is_found_in_the_library_of_the_moment(tmp_path: Path) -> None:
    """Positions change when a newer snapshot arrives: the jump must still land on the story."""
    folder = make_library(
        tmp_path / "lib",
        {
            "m.md": article_text(
                "Main", quality=90, related=[{"title": "Beta", "webUrl": "https://www.example.com/beta"}]
            ),
            "b.md": article_text("Beta", quality=50, web_url="https://www.example.com/beta"),
            "c.md": article_text("Gamma", quality=40),
        },
    )
    app = ReaderApp(folder, use_cache=False)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert highlighted_title(app) == "Main"
        # A file arrives that sorts first by path: every position after it moves.
        (folder / "a.md").write_text(article_text("Alpha", quality=10), encoding="utf-8")
        app.main_screen.post_message(LibraryLoaded(FolderLoader(folder).load()))
        await pilot.pause(0.1)
        await pilot.press("enter")  # to the related stories
        await pilot.pause(0.1)
        await pilot.press("enter")  # jump to Beta
        await pilot.pause(0.1)
        assert highlighted_title(app) == "Beta"


async def test_a_failed_load_ends_the_loading_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = make_library(tmp_path / "lib", {"a.md": article_text("Alpha")})

    def broken_events(self, first_screen: bool = True):
        yield LoadProgress(LoadStage.PARSING, 10, 100)
        raise OSError("the disk went away")

    monkeypatch.setattr(FolderLoader, "events", broken_events)
    app = ReaderApp(folder, use_cache=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        screen = app.main_screen
        loading = str(screen.query_one("#status-loading").render())
        assert "10/100" not in loading and "loading failed" in loading
        assert not screen.query_one("#status-progress").display
        assert "Loading…" not in list_lines(app)[0]
        assert "the disk went away" in list_lines(app)[0]
        assert any(n.title == "Loading failed" for n in app._notifications)


# --- links that take their time -----------------------------------------------------------


@pytest.fixture
def slow_browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A browser that prints to the terminal and takes 8 s to start, as $BROWSER."""
    script = tmp_path / "slow-browser"
    marker = tmp_path / "opened"
    script.write_text(f'#!/bin/sh\necho "browser noise"\necho "$1" > {marker}\nsleep 8\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("BROWSER", str(script))
    monkeypatch.setenv("DISPLAY", ":0")
    return marker


async def test_a_slow_browser_does_not_freeze_the_keys(ten_folder: Path, slow_browser: Path, capfd) -> None:
    app = ReaderApp(ten_folder, use_cache=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(app, pilot)
        started = time.monotonic()
        await pilot.press("o")
        await pilot.press("down", "down")
        assert highlighted_title(app) == "Story 2"
        assert time.monotonic() - started < 4  # the 8 s browser runs on its own
        for _ in range(50):
            if slow_browser.exists():
                break
            await pilot.pause(0.1)
        assert slow_browser.read_text(encoding="utf-8").strip() == "https://www.example.com/story-0"
        assert any(n.title == "Opening in browser" for n in app._notifications)
    assert "browser noise" not in capfd.readouterr().out  # nothing it prints reaches our terminal


async def test_no_first_screen_query_on_the_ui_thread(ten_folder: Path, tmp_path: Path, monkeypatch) -> None:
    import threading

    cache_path = tmp_path / "c.sqlite3"
    app = ReaderApp(ten_folder, cache_path=cache_path)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
    threads: list[str] = []
    real = FolderLoader.first_screen

    def recording(self, order="quality"):
        threads.append(threading.current_thread().name)
        return real(self, order)

    monkeypatch.setattr(FolderLoader, "first_screen", recording)
    app = ReaderApp(ten_folder, cache_path=cache_path)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert titles(app)[0] == "Story 0"
    assert threads and threading.main_thread().name not in threads


def test_screens_and_app_stay_small() -> None:
    app_source = (Path(__file__).parent.parent / "reader" / "app.py").read_text(encoding="utf-8")
    assert len(app_source.splitlines()) < 200



async def test_blog_posts_show_their_authors(tmp_path: Path) -> None:
    """A blog post (no provider, an author) shows the author in the list and the detail pane."""
    folder = tmp_path / "blog"
    folder.mkdir()
    (folder / "2024-03-05-hello.md").write_text(
        "---\ntitle: Hello blog\ndate: 2024-03-05 10:00:00 +0100\nauthor: Ada Lovelace\n"
        "tags: [notes, engines]\nsummary: A first post.\n---\n\nBody text.\n",
        encoding="utf-8",
    )
    app = ReaderApp(folder, use_cache=False, mark_read="manual")
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert "Ada Lovelace" in list_lines(app)[0]
        meta = str(app.main_screen.query_one("#detail-meta").render())
        assert "By Ada Lovelace" in meta and "2024" in meta


async def test_an_excerpt_made_from_the_body_is_not_shown_twice(tmp_path: Path) -> None:
    folder = tmp_path / "blog"
    folder.mkdir()
    (folder / "post.md").write_text("---\ntitle: A post\n---\n\nOnly this paragraph.\n", encoding="utf-8")
    app = ReaderApp(folder, use_cache=False, mark_read="manual")
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        article = app.main_screen.detail.article
        assert article is not None and article.excerpt == "Only this paragraph."
        assert not app.main_screen.query_one("#detail-excerpt").display
        assert app.main_screen.query_one("#detail-body").display
