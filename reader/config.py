"""Where the reader keeps its own files, and the user's settings.

Paths follow the XDG variables (through platformdirs), so tests and users can
point them anywhere. Settings are a small TOML file the user edits; the reader
only reads it.

One rule for every setting, in the app and the CLI: a file that cannot be
read or parsed stops the reader (``ConfigError``: it cannot tell what the user
asked for); a bad value in a good file is one warning, and the default is used.
Warnings and errors name the file escaped (``escape_name``): the path, like
the file's contents, may hold anything.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Collection
from dataclasses import dataclass, fields
from pathlib import Path

import platformdirs

from .fields import DEFAULT_FIELDS, FieldNames, field_names_from_table
from .text import escape_line, escape_name

APP_NAME = "reader-news"
SORT_KEYS = ("quality", "heat", "date", "title")  # library.SortKey's values (a test checks)
# A settings file is a few lines; anything bigger is not one (or is /dev/zero).
MAX_CONFIG_BYTES = 1_000_000


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME))


def state_dir() -> Path:
    """Where the reader remembers the user's choices in the app (preferences.py)."""
    return Path(platformdirs.user_state_dir(APP_NAME))


def config_path() -> Path:
    return Path(os.environ.get("READER_CONFIG") or config_dir() / "config.toml")


# When an article counts as read: after it has stayed in the detail pane a
# moment, when it is opened in the browser, or only when the user says so (m).
MARK_READ_WHEN = ("on-view", "on-open", "manual")
# How the open library follows its folder: file-system events where there are
# some (else polling folders), polling folders only (network mounts), or not.
WATCH_MODES = ("auto", "poll", "off")


@dataclass(frozen=True)
class Config:
    """The user's settings; every field has a default that works."""

    library: str = ""  # the folder `reader` opens without PATH; empty: the bundled sample
    sort: str = "quality"  # quality | heat | date | title
    theme: str = "textual-dark"
    cache: bool = True  # keep parsed articles in the cache folder
    feeds_folder: str = ""  # where `reader fetch` writes articles; empty: $XDG_DATA_HOME/reader-news/feeds
    mark_read: str = "on-view"  # on-view | on-open | manual: when an article counts as read
    watch: str = "auto"  # auto | poll | off: how the open library follows changes in its folder
    # [fields]: the user's own front-matter keys for each field (see fields.py)
    fields: FieldNames = DEFAULT_FIELDS
    # [keys]: command id -> keys ("sort.cycle" = "x"); the app checks the ids (commands.py)
    keys: tuple[tuple[str, str], ...] = ()
    # [searches]: name -> query ("Top AI" = "topic:AI quality>=80"), tree nodes with counts
    searches: tuple[tuple[str, str], ...] = ()

    @property
    def fields_signature(self) -> str:
        """Empty for the usual names; else what keys a cache of articles read with these names."""
        return "" if self.fields == DEFAULT_FIELDS else self.fields.signature()


class ConfigError(Exception):
    """The settings file exists but cannot be read or parsed: the message is one line, safe to print."""


def load_config(path: Path | None = None) -> tuple[Config, list[str]]:
    """The settings in ``path`` (default: the user's config file), and a warning per value not used.

    A missing file at the usual place means the defaults, silently; a file the
    user named (``$READER_CONFIG``, or ``path``) that does not exist is a
    warning. Raises ConfigError when the file cannot be read or parsed.
    """
    named = path is not None or bool(os.environ.get("READER_CONFIG"))
    path = path or config_path()
    shown = escape_name(str(path))
    source = _read_settings_file(path, shown)
    if source is None:
        return Config(), ([f"{shown}: no such file; using the default settings"] if named else [])
    data = _parse_toml(source, shown)
    defaults = Config()
    values: dict[str, object] = {}
    warnings = []
    if "fields" in data:
        values["fields"], problems = field_names_from_table(data.pop("fields"))
        warnings += [f"{shown}: {problem}" for problem in problems]
    if "keys" in data:
        values["keys"], problems = _keymap(data.pop("keys"))
        warnings += [f"{shown}: {problem}" for problem in problems]
    if "searches" in data:
        values["searches"], problems = _searches(data.pop("searches"))
        warnings += [f"{shown}: {problem}" for problem in problems]
    for name, value in data.items():
        if name not in {f.name for f in fields(Config)}:
            known = ", ".join(f.name for f in fields(Config))
            warnings.append(f"{shown}: unknown setting {_quoted(name)} ignored (settings: {known})")
            continue
        default = getattr(defaults, name)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                warnings.append(f"{shown}: {name} should be true or false; using {str(default).lower()}")
                continue
        elif not isinstance(value, str):
            warnings.append(f"{shown}: {name} should be text in quotes; using the default")
            continue
        elif name == "sort" and value not in SORT_KEYS:
            warnings.append(f"{shown}: sort = {_quoted(value)} is not one of {', '.join(SORT_KEYS)}; using {default}")
            continue
        elif name == "watch" and value not in WATCH_MODES:
            warnings.append(f"{shown}: watch = {_quoted(value)} is not one of {', '.join(WATCH_MODES)}; using {default}")
            continue
        elif name == "mark_read" and value not in MARK_READ_WHEN:
            choices = ", ".join(MARK_READ_WHEN)
            warnings.append(f"{shown}: mark_read = {_quoted(value)} is not one of {choices}; using {default}")
            continue
        values[name] = value
    return Config(**values), warnings


def _keymap(table: object) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """The ``[keys]`` table as (command id, keys) pairs, and a warning per entry that is not text."""
    if not isinstance(table, dict):
        return (), ["[keys] should be a table of \"command.id\" = \"keys\"; ignored"]
    pairs, warnings = [], []
    for command_id, keys in table.items():
        if not isinstance(keys, str) or not keys.strip() or len(keys) > 200:
            warnings.append(f"[keys] {_quoted(command_id)} should be keys in quotes, like \"ctrl+s,x\"; ignored")
            continue
        pairs.append((command_id, ",".join(key.strip() for key in keys.split(",") if key.strip())))
    return tuple(pairs), warnings


def _searches(table: object) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """The ``[searches]`` table as (name, query) pairs; a query that does not parse is a warning."""
    from .query import QueryError, parse

    if not isinstance(table, dict):
        return (), ["[searches] should be a table of \"name\" = \"query\"; ignored"]
    pairs, warnings = [], []
    for name, text in table.items():
        if not isinstance(text, str):
            warnings.append(f"[searches] {_quoted(name)} should be a query in quotes; ignored")
            continue
        try:
            parse(text)
        except QueryError as error:
            warnings.append(f"[searches] {_quoted(name)}: {escape_line(str(error))}; ignored")
            continue
        pairs.append((escape_line(name)[:60] or "search", text))
    return tuple(pairs), warnings


def _read_settings_file(path: Path, shown: str) -> bytes | None:
    """The file's bytes, None when there is no file; only a regular file under the size cap is read.

    Opened without blocking, so a FIFO cannot hang the start, and checked on
    the open descriptor, so what is read is what was checked.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ConfigError(f"{shown}: cannot be read ({escape_line(error.strerror or str(error))})") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise ConfigError(f"{shown}: {kind}, not a settings file")
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigError(f"{shown}: larger than {MAX_CONFIG_BYTES:,} bytes, not a settings file")
        chunks, size = [], 0
        while size <= MAX_CONFIG_BYTES and (chunk := os.read(descriptor, MAX_CONFIG_BYTES + 1 - size)):
            chunks.append(chunk)  # it may have grown since fstat: never more than the cap and one byte
            size += len(chunk)
        source = b"".join(chunks)
    except OSError as error:
        raise ConfigError(f"{shown}: cannot be read ({escape_line(error.strerror or str(error))})") from None
    finally:
        os.close(descriptor)
    if len(source) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{shown}: larger than {MAX_CONFIG_BYTES:,} bytes, not a settings file")
    return source


def _parse_toml(source: bytes, shown: str) -> dict:
    import tomllib  # only when there is a file: most starts have none, and it costs start-up time

    try:
        return tomllib.loads(source.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"{shown}: not UTF-8 text (byte {error.start + 1:,})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{shown}: {escape_line(str(error))}") from None
    except RecursionError:
        raise ConfigError(f"{shown}: nested too deeply to be a settings file") from None
    except Exception as error:  # any other failure of the parser is still this file's fault
        raise ConfigError(f"{shown}: cannot be parsed ({type(error).__name__})") from None


def _quoted(value: str, limit: int = 40) -> str:
    """An untrusted value from the file, quoted and escaped, cut to a readable length."""
    text = value if len(value) <= limit else value[:limit] + "…"
    return f"'{escape_name(text)}'"


def theme_warning(theme: str, available: Collection[str], using: str) -> str | None:
    """None when ``theme`` is one of ``available`` (Textual's themes, known once the app runs);
    else one line, safe to show, that names it, says which theme is used instead, and some that exist."""
    if theme in available:
        return None
    some = sorted(available)
    listed = ", ".join(some[:8]) + (f", … ({len(some)} in all)" if len(some) > 8 else "")
    return f"unknown theme {_quoted(theme)}; using {escape_name(using)} (themes: {escape_line(listed)})"


def library_problem(folder: Path) -> str | None:
    """Why ``folder`` must not be opened as a library, or None.

    The root of a file system or the home folder itself would mean walking
    (and caching) everything the user has: it is always a mistake for
    ``library = "~"`` or ``reader /`` rather than a folder of articles.
    """
    try:
        resolved = folder.expanduser().resolve()
    except (OSError, RuntimeError):
        return None  # the "not a folder" check names it
    shown = escape_name(str(folder))
    if resolved.parent == resolved:
        return f"{shown}: the whole file system is not a library; name the folder that holds the articles"
    try:
        home = Path.home().resolve()
    except (OSError, RuntimeError, KeyError):
        return None
    if resolved == home:
        return f"{shown}: the home folder itself is not a library; name the folder that holds the articles"
    return None


def bundled_path(name: str) -> Path:
    """A folder that ships with the reader (``data`` or ``styles``).

    Installed, they travel inside the package; in a source checkout they are
    the top-level folders beside it.
    """
    package = Path(__file__).resolve().parent
    for candidate in (package / name, package.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the bundled {name!r} folder is missing from this installation")
