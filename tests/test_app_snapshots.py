"""SVG snapshots of the main screen (wide and narrow), the help screen and the errors screen.

Update after a deliberate change of the look with ``pytest tests/test_app_snapshots.py --snapshot-update``
and look at the new SVGs before committing them.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from snapshot_apps import broken_app, library_app, loaded, marked

from reader.format import clock

# "Now" for the snapshots: the fixtures' dates are weeks before it, so the list shows
# dates and the detail pane says "2 weeks ago" on any day the tests run.
NOW = datetime(2021, 7, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fixed_time(monkeypatch: pytest.MonkeyPatch):
    """Dates are shown in local time and relative to now: pin both, so snapshots match anywhere, any day."""
    clock.freeze(NOW)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    clock.freeze(None)
    monkeypatch.undo()
    time.tzset()


def test_main_screen_wide(snap_compare) -> None:
    """120x35: tree, list and detail; the top article highlighted, with its body and related stories."""
    assert snap_compare(library_app(), terminal_size=(120, 35), run_before=loaded)


@pytest.mark.parametrize("theme", ["textual-light", "solarized-light"])
def test_main_screen_light(snap_compare, theme: str) -> None:
    """Light themes: provider and date muted but readable, on plain rows and under the cursor."""
    assert snap_compare(library_app(theme), terminal_size=(120, 35), run_before=loaded, press=["down"])


def test_list_with_read_unread_and_starred_rows(snap_compare) -> None:
    """Unread rows bold with a dot; read rows plain; starred rows with a star; unread counts in the tree."""
    assert snap_compare(library_app(), terminal_size=(120, 35), run_before=marked)


def test_main_screen_narrow(snap_compare) -> None:
    """80x24: the detail pane under the list, the tree narrower."""
    assert snap_compare(library_app(), terminal_size=(80, 24), run_before=loaded)


def test_main_screen_sorted_by_heat_on_a_draft(snap_compare) -> None:
    """After s (heat) the cursor stays on the top article; three rows down is the draft, marked in list and detail."""
    assert snap_compare(library_app(), terminal_size=(120, 35), run_before=loaded, press=["s", "down", "down", "down"])


def test_help_screen(snap_compare) -> None:
    assert snap_compare(library_app(), terminal_size=(120, 35), run_before=loaded, press=["question_mark"])


def test_errors_screen(snap_compare) -> None:
    """One unreadable file: counted in the status line and listed with its reason."""
    assert snap_compare(broken_app(), terminal_size=(120, 35), run_before=loaded, press=["e"])
