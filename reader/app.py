"""ReaderApp: starts the reader and hands over to the main screen.

The app only sets things up: the stylesheet, the theme, the command palette,
and the main screen with its library session. Everything that happens after
that happens in ``screens/main.py`` (routing between panes) and
``session.py`` (loading in the background).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.screen import Screen

from .commands import ReaderCommands, check_keymap
from .config import bundled_path, theme_warning
from .fields import DEFAULT_FIELDS, FieldNames
from .library import ListQuery, SortKey
from .screens.main import MainScreen
from .session import LibrarySession
from .watcher import WatchMode

# Textual's own palette entries that the reader replaces: "Keys" duplicates the
# help screen (and does not close with Esc); "Screenshot" fails where
# ~/Downloads is missing and does not say where it saved.
_REPLACED_SYSTEM_COMMANDS = frozenset({"Keys", "Screenshot"})


GIL_SWITCH_S = 0.001


class ReaderApp(App[None]):
    """Browse a folder of articles: topic tree, article list, detail pane."""

    TITLE = "reader"
    CSS_PATH = [bundled_path("styles") / "reader.tcss"]
    HORIZONTAL_BREAKPOINTS = [(0, "-compact"), (100, "-narrow"), (150, "-wide")]
    COMMANDS = App.COMMANDS | {ReaderCommands}

    def __init__(
        self,
        root: Path,
        *,
        use_cache: bool = True,
        sort: SortKey = SortKey.QUALITY,
        reverse: bool = False,
        theme: str = "textual-dark",
        cache_path: Path | None = None,
        workers: int | None = None,
        warnings: Iterable[str] = (),
        remember=None,
        mark_read: str = "on-view",
        state_path: Path | None = None,
        watch: str = "auto",
        fields: FieldNames = DEFAULT_FIELDS,
        keys: Iterable[tuple[str, str]] = (),
        feeds_into: Path | None = None,
        searches: Iterable[tuple[str, str]] = (),
    ) -> None:
        super().__init__()
        self.root = root.resolve()
        self.session = LibrarySession(
            self.root,
            use_cache=use_cache,
            cache_path=cache_path,
            workers=workers,
            state_path=state_path,
            watch=WatchMode(watch),
            fields=fields,
        )
        self._mark_read = mark_read
        self._feeds_into = feeds_into
        self._searches = tuple(searches)
        self._first_query = ListQuery(sort=sort, reverse=reverse)
        self._preferred_theme = theme
        self._warnings = list(warnings)
        # Called with the user's last choices (theme, sort) so the next start has them;
        # None in tests and wherever nothing should be written.
        self._remember = remember
        self._theme_settled = False  # True once the configured theme is applied
        keymap, problems = check_keymap(dict(keys))
        self._warnings += problems
        self.set_keymap(keymap)  # the footer, the palette and the help screen all show these keys

    def get_default_screen(self) -> Screen:
        return MainScreen(
            self.session,
            self._first_query,
            mark_read=self._mark_read,
            feeds_into=self._feeds_into,
            searches=self._searches,
        )

    @property
    def main_screen(self) -> MainScreen:
        """The main screen, under whatever is shown over it."""
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def on_mount(self) -> None:
        # The session's threads (a search index, a walk of a million files) share the
        # interpreter with this one: handing it over every millisecond, not every five,
        # keeps a key's frame from waiting behind them.
        sys.setswitchinterval(GIL_SWITCH_S)
        warning = theme_warning(self._preferred_theme, self.available_themes, self.theme)
        if warning is None:
            self.theme = self._preferred_theme
        else:
            self._warnings.append(warning)
        for warning in self._warnings:
            self.notify(warning, title="Settings", severity="warning", markup=False, timeout=12)
        self._theme_settled = True  # from now on a theme change is the user's choice

    def watch_theme(self, theme: str) -> None:
        if self._theme_settled:
            self.remember(theme=theme)

    def remember(self, **choices: object) -> None:
        """Keep the user's latest theme or order for the next start (never in their config file)."""
        if self._remember is None:
            return
        warning = self._remember(**choices)
        if warning:
            self.notify(warning, severity="warning", markup=False)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title not in _REPLACED_SYSTEM_COMMANDS:
                yield command
