"""What the user chose in the app (theme, order), remembered on this machine for the next start.

Not settings: ``config.toml`` is the user's file and the reader never writes
it. Choices go to a small JSON file in the state folder
(``$XDG_STATE_HOME/reader-news/preferences.json``).

Which value wins at start-up: the command line, then the remembered choice,
then the config file, then the default. A remembered choice also records the
config file's value at the time it was made, and lapses once the user changes
that setting in config.toml: editing the file is then the more recent choice,
and it must not look ignored.

The file survives what user data must survive: it is replaced atomically
(a temporary file in the same folder, fsync, rename), so ``kill -9`` or a full
disk leaves the old file or the new one, and two instances at once leave one
of theirs; a damaged file is moved aside under a dated name, never deleted;
a folder that cannot be written means the choices are not remembered, with
one warning.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path

from .config import SORT_KEYS, Config, state_dir
from .text import escape_line, escape_name
from .userfiles import move_aside, write_atomically

PREFERENCES_FILE = "preferences.json"
_FORMAT = 1  # the file's "version"; a newer one is read for what this version knows
_MAX_BYTES = 64 * 1024  # a few hundred bytes in practice


@dataclass(frozen=True)
class Preferences:
    """The user's last choices in the app; None: never chosen (or lapsed)."""

    theme: str | None = None
    sort: str | None = None
    reverse: bool = False
    # The config file's theme and sort when the choice was made (see the module's docstring).
    config_theme: str | None = None
    config_sort: str | None = None
    # Searches saved from the palette: (name, query), tree nodes beside config.toml's [searches].
    searches: tuple[tuple[str, str], ...] = ()

    def chosen(
        self,
        config: Config,
        *,
        theme: str | None = None,
        sort: str | None = None,
        reverse: bool | None = None,
        search: tuple[str, str] | None = None,
    ) -> Preferences:
        """These preferences with a new choice, made while ``config`` was in force."""
        changes: dict[str, object] = {}
        if search is not None:  # a search of the same name is replaced
            name, text = search
            changes["searches"] = (*((n, t) for n, t in self.searches if n != name), (str(name), str(text)))
        if theme is not None:
            changes.update(theme=str(theme), config_theme=config.theme)
        if sort is not None:
            changes.update(sort=str(sort), config_sort=config.sort, reverse=bool(reverse))
        elif reverse is not None:
            changes.update(reverse=bool(reverse))
        return replace(self, **changes)


@dataclass(frozen=True)
class StartChoices:
    """The theme and order the app starts with, after the precedence above."""

    theme: str  # Textual checks it once it runs (config.theme_warning)
    sort: str  # one of SORT_KEYS
    reverse: bool


def start_choices(config: Config, preferences: Preferences, *, sort: str | None = None) -> StartChoices:
    """Command line (``sort``) > remembered choice > config file > default (already in ``config``)."""
    theme = config.theme
    if preferences.theme and preferences.config_theme == config.theme:
        theme = preferences.theme
    if sort is not None:
        return StartChoices(theme, sort, False)
    if preferences.sort in SORT_KEYS and preferences.config_sort == config.sort:
        return StartChoices(theme, preferences.sort, preferences.reverse)
    return StartChoices(theme, config.sort, False)


def preferences_path() -> Path:
    return state_dir() / PREFERENCES_FILE


def load_preferences(path: Path | None = None) -> tuple[Preferences, list[str]]:
    """The remembered choices (defaults when there are none), and a warning per problem met.

    Never raises: a file that cannot be read is ignored, a damaged one moved aside.
    """
    path = path or preferences_path()
    shown = escape_name(str(path))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)  # a FIFO cannot hang it
    try:
        with open(os.open(path, flags), "rb") as file:
            info = os.fstat(file.fileno())
            if not stat.S_ISREG(info.st_mode):
                return Preferences(), [f"{shown}: not a regular file; the last theme and order are not restored"]
            source = file.read(_MAX_BYTES + 1)
    except FileNotFoundError:
        return Preferences(), []
    except OSError as error:
        reason = escape_line(error.strerror or str(error))
        return Preferences(), [f"{shown}: cannot be read ({reason}); the last theme and order are not restored"]
    try:
        return _parse(source), []
    except _Damaged as damage:
        return Preferences(), [
            move_aside(path, str(damage), then="the last theme and order are lost", otherwise="ignored")
        ]


class _Damaged(Exception):
    pass


def _parse(source: bytes) -> Preferences:
    if len(source) > _MAX_BYTES:
        raise _Damaged("far too large")
    try:
        data = json.loads(source.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _Damaged("not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("version"), int):
        raise _Damaged("not a preferences file")
    text_fields = ("theme", "sort", "config_theme", "config_sort")
    values: dict[str, object] = {}
    for name in text_fields:
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise _Damaged(f"{name} is not text")
        values[name] = value
    reverse = data.get("reverse", False)
    if not isinstance(reverse, bool):
        raise _Damaged("reverse is not true or false")
    searches = data.get("searches", [])
    if not isinstance(searches, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(part, str) for part in pair) for pair in searches
    ):
        raise _Damaged("searches is not a list of [name, query]")
    return Preferences(reverse=reverse, searches=tuple(tuple(pair) for pair in searches), **values)  # type: ignore[arg-type]


def save_preferences(preferences: Preferences, path: Path | None = None) -> str | None:
    """Write the choices atomically; None when done, else one line saying why they are not remembered."""
    path = path or preferences_path()
    data = {"version": _FORMAT, "theme": preferences.theme, "sort": preferences.sort, "reverse": preferences.reverse}
    data |= {"config_theme": preferences.config_theme, "config_sort": preferences.config_sort}
    data["searches"] = [list(pair) for pair in preferences.searches]
    text = json.dumps(data, indent=2, ensure_ascii=True) + "\n"
    try:
        write_atomically(path, text.encode("ascii"))
    except OSError as error:
        problem = escape_line(error.strerror or str(error))
        return f"cannot remember the theme and order in {escape_name(str(path.parent))} ({problem})"
    return None


class ChoiceMemory:
    """The app's ``remember`` callback: ``memory(theme=...)`` or ``memory(sort=..., reverse=...)``.

    Each call reads the file again (another instance may have saved since),
    records the choice and saves. It returns one line to show when the choice
    cannot be remembered, the first time only: a read-only state folder is one
    warning, not one per key press.
    """

    def __init__(self, config: Config, path: Path | None = None) -> None:
        self.config = config
        self.path = path or preferences_path()
        self._warned = False

    def __call__(
        self,
        *,
        theme: str | None = None,
        sort: str | None = None,
        reverse: bool | None = None,
        search: tuple[str, str] | None = None,
    ) -> str | None:
        current, warnings = load_preferences(self.path)
        chosen = current.chosen(self.config, theme=theme, sort=sort, reverse=reverse, search=search)
        problem = save_preferences(chosen, self.path)
        if problem is not None:
            warnings.append(problem)
        if not warnings or self._warned:
            return None
        self._warned = True
        return "; ".join(warnings)
