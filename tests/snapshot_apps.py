"""Apps for the SVG snapshots: fixed folders in tests/fixtures, no cache, and a helper that waits for loading.

Dates in the fixtures are from 2021, so the list shows them as dates (never
"3d", which would drift); the snapshot tests also pin the time zone to UTC.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from reader.app import ReaderApp

FIXTURES = Path(__file__).parent / "fixtures"
LIBRARY = FIXTURES / "snapshot_library"  # six articles: two categories, a draft, no heat, no quality
BROKEN = FIXTURES / "snapshot_broken"  # two articles and one file that is not valid YAML


def library_app(theme: str = "textual-dark") -> ReaderApp:
    return ReaderApp(LIBRARY, use_cache=False, theme=theme)


def broken_app() -> ReaderApp:
    return ReaderApp(BROKEN, use_cache=False)


async def loaded(pilot: Pilot) -> None:
    """Wait for the loading worker, then for the detail pane's short timer."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause(0.15)
