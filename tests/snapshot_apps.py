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


# mark_read = "manual": a snapshot must not depend on whether 1.5 s passed before it was taken.
def library_app(theme: str = "textual-dark") -> ReaderApp:
    return ReaderApp(LIBRARY, use_cache=False, theme=theme, mark_read="manual")


def broken_app() -> ReaderApp:
    return ReaderApp(BROKEN, use_cache=False, mark_read="manual")


async def loaded(pilot: Pilot) -> None:
    """Wait for the loading worker and the reading state, then for the detail pane's short timer."""
    await pilot.app.workers.wait_for_complete()
    for _ in range(50):
        if pilot.app.main_screen.reading is not None:
            break
        await pilot.pause(0.02)
    await pilot.pause()
    await pilot.pause(0.15)


async def marked(pilot: Pilot) -> None:
    """Loaded, then the second article read, the third starred and read, the fourth starred."""
    await loaded(pilot)
    await pilot.press("down", "m", "down", "m", "f", "down", "f", "up", "up", "up")
    for _ in range(50):
        reading = pilot.app.main_screen.reading
        if reading is not None and len(reading.read) == 2 and len(reading.starred) == 2:
            break
        await pilot.pause(0.02)
    await pilot.pause(0.15)
