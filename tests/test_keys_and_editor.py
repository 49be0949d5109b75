"""User keymaps from config.toml, and the article file in the user's editor."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from test_app import SIZE, article_text, highlighted_title, make_library, start, titles
from textual.widgets import Static

from reader.app import ReaderApp
from reader.cli import main
from reader.config import load_config
from reader.library import SortKey
from reader.screens.help import HelpScreen


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return make_library(
        tmp_path / "lib",
        {
            "a.md": article_text("Alpha", quality=90, heat=10),
            "b.md": article_text("Beta", quality=50, heat=80),
        },
    )


async def test_a_remapped_key_works_and_the_old_one_does_not(folder: Path) -> None:
    app = ReaderApp(folder, use_cache=False, mark_read="manual", keys=[("sort.cycle", "x"), ("article.star", "ctrl+s,*")])
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        await pilot.press("s")
        assert app.main_screen.list_query.sort is SortKey.QUALITY  # s is free now
        await pilot.press("x")
        assert app.main_screen.list_query.sort is SortKey.HEAT
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(str(widget.render()) for widget in app.screen.query(Static))
        line = next(line for line in text.splitlines() if "Sort by quality → heat → date" in line)
        assert line.split()[0] == "x"
        star = next(line for line in text.splitlines() if "Star the article" in line)
        assert "^s" in star and "*" in star


async def test_unknown_ids_and_clashes_are_reported_and_the_app_starts(folder: Path) -> None:
    app = ReaderApp(folder, use_cache=False, keys=[("sort.cycl", "z"), ("app.quit", "o")])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(app, pilot)
        messages = [n.message for n in app._notifications]
        assert any("no command 'sort.cycl'; did you mean sort.cycle?" in m for m in messages)
        assert any("'o' is both article.open and app.quit" in m for m in messages)
        assert titles(app) == ["Alpha", "Beta"]


def test_the_keys_table_is_read_from_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keys]\n"sort.cycle" = "x"\n"article.star" = "ctrl+s, *"\n"bad" = 3\n', encoding="utf-8")
    settings, warnings = load_config(config)
    assert dict(settings.keys) == {"sort.cycle": "x", "article.star": "ctrl+s,*"}
    assert any("'bad'" in warning for warning in warnings)


@pytest.fixture
def fake_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An 'editor' that changes the article's title, given as $EDITOR with an option."""
    script = tmp_path / "fake editor"
    script.write_text(
        "#!/bin/sh\n[ \"$1\" = --wait ] || exit 3\nsed -i 's/^title: .*/title: \"Alpha, edited\"/' \"$2\"\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"'{script}' --wait")
    return script


async def test_E_opens_the_file_in_the_editor_and_shows_the_change(folder: Path, fake_editor: Path) -> None:
    app = ReaderApp(folder, use_cache=False, mark_read="manual", watch="off")
    async with app.run_test(size=SIZE) as pilot:
        await start(app, pilot)
        assert highlighted_title(app) == "Alpha"
        await pilot.press("E")
        for _ in range(40):
            await pilot.pause(0.1)
            if highlighted_title(app) == "Alpha, edited":
                break
        assert highlighted_title(app) == "Alpha, edited"
        await pilot.pause(0.2)
        assert str(app.main_screen.query_one("#detail-title").render()) == "Alpha, edited"
    assert "Alpha, edited" in (folder / "a.md").read_text(encoding="utf-8")


async def test_E_without_an_editor_says_what_to_set(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.delenv("EDITOR", raising=False)
    app = ReaderApp(folder, use_cache=False, mark_read="manual")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await start(app, pilot)
        await pilot.press("E")
        await pilot.pause()
        assert any("$EDITOR" in n.message for n in app._notifications)


def test_the_cli_hands_the_keys_to_the_app(tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[keys]\n"sort.cycle" = "x"\n', encoding="utf-8")
    monkeypatch.setenv("READER_CONFIG", str(config))
    started = {}

    class Recorded:
        def __init__(self, root, **options) -> None:
            started.update(options)

        def run(self) -> None:
            pass

    import reader.app

    monkeypatch.setattr(reader.app, "ReaderApp", Recorded)
    assert main([str(folder)]) == 0
    assert dict(started["keys"]) == {"sort.cycle": "x"}
