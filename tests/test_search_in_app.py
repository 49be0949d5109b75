"""The search line: typing, a bad query, Esc, Enter, the scope toggle, highlights."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_app import SIZE, article_text, highlighted_title, make_library, start, status, titles

from reader.app import ReaderApp
from reader.library import Node
from reader.widgets.article_list import ArticleList
from reader.widgets.search_bar import SearchBar


@pytest.fixture
def news(tmp_path: Path) -> Path:
    return make_library(
        tmp_path / "news",
        {
            "1.md": article_text("Glacier sensors record a warm winter", quality=90, topics=["Climate"]),
            "2.md": article_text("Rocket lands on a barge", quality=80, topics=["Space"]),
            "3.md": article_text("Sensors for Mars rovers", quality=70, topics=["Space"]),
            "4.md": article_text("Zürich opens a climate lab", quality=60, topics=["Climate"]),
            "5.md": article_text("Budget talks stall", quality=50, topics=["Politics"]),
        },
    )


def app_for(folder: Path) -> ReaderApp:
    return ReaderApp(folder, use_cache=False, mark_read="manual")


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


async def test_typing_filters_as_you_type_and_esc_restores(news: Path) -> None:
    app = app_for(news)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("down", "down")
        assert highlighted_title(app) == "Sensors for Mars rovers"
        await pilot.press("slash")
        bar = app.main_screen.query_one(SearchBar)
        assert bar.display and app.focused is bar.input
        await type_text(pilot, "sens")  # the last word is a prefix while typing
        await pilot.pause()
        assert titles(app) == ["Glacier sensors record a warm winter", "Sensors for Mars rovers"]
        assert "search sens" in status(app) and " 2" in status(app)
        await type_text(pilot, "ors mars")
        await pilot.pause()
        assert titles(app) == ["Sensors for Mars rovers"]
        await pilot.press("escape")
        await pilot.pause()
        assert not bar.display
        assert len(titles(app)) == 5
        assert highlighted_title(app) == "Sensors for Mars rovers"  # where the cursor was
        assert "search" not in status(app)


async def test_a_bad_query_says_why_and_keeps_the_last_results(news: Path) -> None:
    app = app_for(news)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("slash")
        bar = app.main_screen.query_one(SearchBar)
        bar.input.value = "topic:space"
        await pilot.pause()
        bar.input.value = "topic:space qualty>70"
        await pilot.pause()
        problem = str(app.main_screen.query_one("#search-problem").render())
        assert "qualty" in problem and "quality" in problem
        assert titles(app) == ["Rocket lands on a barge", "Sensors for Mars rovers"]  # topic:space's, kept


async def test_enter_goes_to_the_results_and_matches_are_highlighted(news: Path) -> None:
    app = app_for(news)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("slash")
        await type_text(pilot, "zurich")  # accents ignored
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.focused, ArticleList)
        assert titles(app) == ["Zürich opens a climate lab"]
        strip = app.main_screen.article_list.render_line(0)
        matched = [segment for segment in strip if segment.text == "Zürich"]
        assert matched and matched[0].style.underline
        title = app.main_screen.query_one("#detail-title").render()
        assert any(span.style and "underline" in str(span.style) for span in title.spans)
        await pilot.press("escape")  # from the results too
        await pilot.pause()
        assert len(titles(app)) == 5


async def test_search_within_the_node_or_everywhere(news: Path) -> None:
    app = app_for(news)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        screen = app.main_screen
        screen.list_query = screen.list_query.__class__(Node("topic", "Space"))
        await pilot.pause()
        await pilot.press("slash")
        await type_text(pilot, "climate OR sensors")
        await pilot.pause()
        assert titles(app) == ["Sensors for Mars rovers"]
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert titles(app) == [
            "Glacier sensors record a warm winter",
            "Sensors for Mars rovers",
            "Zürich opens a climate lab",
        ]
        assert "everything" in str(screen.query_one("#search-scope").render())


async def test_fields_numbers_and_state_in_the_app(news: Path) -> None:
    app = app_for(news)
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("m")  # the top article read
        await pilot.pause(0.3)
        await pilot.press("slash")
        await type_text(pilot, "is:unread quality>=60 -topic:politics")
        await pilot.pause()
        assert titles(app) == ["Rocket lands on a barge", "Sensors for Mars rovers", "Zürich opens a climate lab"]


async def test_saved_searches_are_tree_nodes_with_counts(news: Path) -> None:
    from reader.library import NodeKind

    app = ReaderApp(
        news, use_cache=False, mark_read="manual", searches=[("Sensors", "sensors"), ("Good space", "topic:space quality>=75")]
    )
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        for _ in range(20):
            if app.main_screen.reading is not None:
                break
            await pilot.pause(0.05)
        await pilot.pause(0.2)
        tree = app.main_screen.tree
        labels = {str(node.label) for node in tree._all_nodes()}
        assert "Sensors 2" in labels and "Good space 1" in labels
        node = next(n.data for n in tree._all_nodes() if n.data is not None and n.data.kind == NodeKind.SEARCH and n.data.name == "Sensors")
        app.main_screen.list_query = app.main_screen.list_query.__class__(node)
        await pilot.pause()
        assert titles(app) == ["Glacier sensors record a warm winter", "Sensors for Mars rovers"]


def test_a_bad_saved_search_is_a_warning(tmp_path: Path) -> None:
    from reader.config import load_config

    config = tmp_path / "config.toml"
    config.write_text('[searches]\n"Top AI" = "topic:AI quality>=80"\n"Broken" = "qualty>80"\n', encoding="utf-8")
    settings, warnings = load_config(config)
    assert settings.searches == (("Top AI", "topic:AI quality>=80"),)
    assert any("did you mean quality" in w for w in warnings)


async def test_a_search_saved_from_the_palette_becomes_a_node_and_is_remembered(news: Path, tmp_path: Path) -> None:
    from reader.config import Config
    from reader.library import NodeKind
    from reader.preferences import ChoiceMemory, load_preferences

    memory = ChoiceMemory(Config(), tmp_path / "preferences.json")
    app = ReaderApp(news, use_cache=False, mark_read="manual", remember=memory)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(app, pilot)
        await pilot.press("slash")
        await type_text(pilot, "topic:space")
        await pilot.press("enter")
        await app.main_screen.run_action("save_search")
        await pilot.pause(0.2)
        saved = [n for n in app.main_screen.tree._all_nodes() if n.data is not None and n.data.kind == NodeKind.SEARCH]
        assert [str(n.label) for n in saved] == ["topic:space 2"]
    preferences, warnings = load_preferences(tmp_path / "preferences.json")
    assert warnings == [] and preferences.searches == (("topic:space", "topic:space"),)


def test_the_cli_starts_the_app_with_config_and_remembered_searches(news: Path, tmp_path: Path, monkeypatch) -> None:
    import reader.app
    from reader.cli import main
    from reader.config import Config
    from reader.preferences import ChoiceMemory

    config = tmp_path / "config.toml"
    config.write_text('[searches]\n"Space" = "topic:space"\n', encoding="utf-8")
    monkeypatch.setenv("READER_CONFIG", str(config))
    ChoiceMemory(Config())(search=("Sensors", "sensors"))
    ChoiceMemory(Config())(search=("Space", "ignored: config.toml names it"))
    started = {}

    class Recorded:
        def __init__(self, root, **options) -> None:
            started.update(options)

        def run(self) -> None:
            pass

    monkeypatch.setattr(reader.app, "ReaderApp", Recorded)
    assert main([str(news)]) == 0
    assert list(started["searches"]) == [("Space", "topic:space"), ("Sensors", "sensors")]
