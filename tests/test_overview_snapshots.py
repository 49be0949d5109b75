"""SVG snapshots of the overview screen (``v``), in a dark theme at 80x24 and a light one at 80x31.

Update after a deliberate change of the look with
``pytest tests/test_overview_snapshots.py --snapshot-update`` and look at the new SVGs before committing them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from snapshot_apps import library_app
from textual.pilot import Pilot

from reader.format import clock
from reader.screens.overview import OverviewScreen

# The fixtures are from June 2021: "now" on 1 July puts all six in the last 30 days, on any day the tests run.
NOW = datetime(2021, 7, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_time(monkeypatch: pytest.MonkeyPatch):
    clock.freeze(NOW)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    clock.freeze(None)
    monkeypatch.undo()
    time.tzset()


async def overview_shown(pilot: Pilot) -> None:
    """The library and reading state loaded, then ``v``, until the counts are on screen.

    Polls rather than waiting for every worker: the session may keep one running (watching the folder).
    """
    for _ in range(200):
        main = pilot.app.main_screen
        if main.library.complete and main.reading is not None:
            break
        await pilot.pause(0.02)
    await pilot.pause(0.1)
    await pilot.press("v")
    for _ in range(200):
        screen = pilot.app.screen
        if isinstance(screen, OverviewScreen) and screen.overview is not None:
            break
        await pilot.pause(0.02)
    await pilot.pause(0.1)


def test_overview_dark_at_80_columns(snap_compare) -> None:
    """80x24: summary, the 30 days' sparkline with its dates, both histograms; the top names scroll below."""
    assert snap_compare(library_app("textual-dark"), terminal_size=(80, 24), run_before=overview_shown)


def test_overview_light(snap_compare) -> None:
    """80x31 in a light theme: every part on one screen, bars in the theme's accent. The box covers the
    whole screen, so this picture changes only when the overview (or the theme) does, not the panes behind."""
    assert snap_compare(library_app("textual-light"), terminal_size=(80, 31), run_before=overview_shown)
