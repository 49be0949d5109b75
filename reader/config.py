"""Where the reader keeps its own files, and the user's settings.

Paths follow the XDG variables (through platformdirs), so tests and users can
point them anywhere. Settings are a small TOML file the user edits; the reader
only reads it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

import platformdirs

APP_NAME = "reader-news"


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME))


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir(APP_NAME))


def config_path() -> Path:
    return Path(os.environ.get("READER_CONFIG") or config_dir() / "config.toml")


@dataclass(frozen=True)
class Config:
    """The user's settings; every field has a default that works."""

    library: str = ""  # the folder `reader` opens without PATH; empty: the bundled sample
    sort: str = "quality"  # quality | heat | date | title
    theme: str = "textual-dark"
    cache: bool = True  # keep parsed articles in the cache folder


class ConfigError(Exception):
    pass


def load_config(path: Path | None = None) -> Config:
    """The settings in ``path`` (default: the user's config file), or the defaults."""
    path = path or config_path()
    try:
        source = path.read_bytes()
    except FileNotFoundError:
        return Config()
    except OSError as error:
        raise ConfigError(f"{path}: {error}") from None
    import tomllib  # only when there is a file: most starts have none, and it costs start-up time

    try:
        data = tomllib.loads(source.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{path}: {error}") from None
    known = {f.name: f.type for f in fields(Config)}
    values = {}
    for name, value in data.items():
        if name not in known:
            raise ConfigError(f"{path}: unknown setting {name!r} (known: {', '.join(known)})")
        expected = bool if name == "cache" else str
        if not isinstance(value, expected):
            raise ConfigError(f"{path}: {name} should be a {expected.__name__}")
        values[name] = value
    if values.get("sort", "quality") not in ("quality", "heat", "date", "title"):
        raise ConfigError(f"{path}: sort should be one of quality, heat, date, title")
    return Config(**values)


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
