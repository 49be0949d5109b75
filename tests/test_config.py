"""The settings file: defaults without one, each setting read, mistakes named."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from reader.cli import main
from reader.config import (
    MAX_CONFIG_BYTES,
    SORT_KEYS,
    Config,
    ConfigError,
    bundled_path,
    cache_dir,
    config_path,
    library_problem,
    load_config,
    state_dir,
    theme_warning,
)
from reader.library import SortKey


def test_no_file_at_the_usual_place_means_the_defaults_silently():
    assert not config_path().exists()
    assert load_config() == (Config(), [])


def test_every_setting_is_read(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('library = "~/news"\nsort = "heat"\ntheme = "textual-light"\ncache = false\n')
    assert load_config(path) == (Config(library="~/news", sort="heat", theme="textual-light", cache=False), [])


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('colour = "red"\n', "unknown setting 'colour' ignored (settings: library, sort, theme, cache, feeds_folder, mark_read, watch, fields, keys, searches)"),
        ('sort = "random"\n', "sort = 'random' is not one of quality, heat, date, title; using quality"),
        ("sort = 3\n", "sort should be text in quotes; using the default"),
        ("cache = 1\n", "cache should be true or false; using true"),
        ("theme = false\n", "theme should be text in quotes; using the default"),
        ("library = 7\n", "library should be text in quotes; using the default"),
    ],
)
def test_a_bad_value_is_one_warning_and_the_default(tmp_path, text, named):
    path = tmp_path / "config.toml"
    path.write_text(text + 'theme = "nord"\n' * ("theme" not in text))
    config, warnings = load_config(path)
    assert warnings == [f"{path}: {named}"]
    assert config == Config(theme="nord" if "theme" not in text else Config.theme)  # the good values still count


def test_a_file_that_cannot_be_parsed_stops_with_one_line_naming_it(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("library = [\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: ")
    assert "\n" not in str(error.value)


def test_paths_follow_the_xdg_variables(private_state_dirs):
    assert config_path().is_relative_to(private_state_dirs)
    assert cache_dir().is_relative_to(private_state_dirs)
    assert state_dir().is_relative_to(private_state_dirs)


def test_the_configured_library_is_opened_without_path(tmp_path, monkeypatch, capsys):
    library = tmp_path / "news"
    (library / "2021").mkdir(parents=True)
    (library / "2021" / "a.md").write_text("---\ntitle: Configured folder works\nwebUrl: https://e.com/a\n---\n")
    config = tmp_path / "config.toml"
    config.write_text(f'library = "{library}"\n')
    monkeypatch.setenv("READER_CONFIG", str(config))
    assert main(["list"]) == 0
    assert "Configured folder works" in capsys.readouterr().out


def test_a_broken_config_file_is_reported_not_a_traceback(tmp_path, monkeypatch, capsys):
    config = tmp_path / "config.toml"
    config.write_text('sort = "sideways\n')
    monkeypatch.setenv("READER_CONFIG", str(config))
    assert main(["check"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"reader: {config}: ") and len(err.splitlines()) == 1


def test_a_bad_value_is_said_and_the_command_carries_on(tmp_path, monkeypatch, capsys):
    config = tmp_path / "config.toml"
    config.write_text('sort = "sideways"\ncolour = "red"\n')
    monkeypatch.setenv("READER_CONFIG", str(config))
    assert main(["check"]) == 0  # the bundled sample, checked
    out, err = capsys.readouterr()
    assert "articles loaded" in out
    assert err.splitlines() == [
        f"reader: {config}: sort = 'sideways' is not one of quality, heat, date, title; using quality",
        f"reader: {config}: unknown setting 'colour' ignored (settings: library, sort, theme, cache, feeds_folder, mark_read, watch, fields, keys, searches)",
    ]


def test_a_config_file_named_but_missing_is_said(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "typo.toml"
    monkeypatch.setenv("READER_CONFIG", str(missing))
    assert load_config() == (Config(), [f"{missing}: no such file; using the default settings"])
    assert main(["check"]) == 0
    assert capsys.readouterr().err == f"reader: {missing}: no such file; using the default settings\n"


def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    started = time.monotonic()
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(fifo)  # before: open() waited for a writer, for ever
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_refused(device):
    if not Path(device).exists():
        pytest.skip(f"no {device} here")
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(Path(device))


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="a folder, not a settings file"):
        load_config(tmp_path)


def test_a_huge_file_is_refused_unread(tmp_path):
    path = tmp_path / "config.toml"
    with path.open("wb") as file:
        file.truncate(MAX_CONFIG_BYTES + 1)  # sparse: costs no disk
    with pytest.raises(ConfigError, match="larger than 1,000,000 bytes"):
        load_config(path)


def test_deep_nesting_is_one_line_not_a_recursion_error(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("library = " + "[" * 100_000 + "]" * 100_000 + "\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value) == f"{path}: nested too deeply to be a settings file"


def test_text_that_is_not_utf8_is_named(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'theme = "caf\xe9"\n')
    with pytest.raises(ConfigError, match=r"not UTF-8 text \(byte 13\)"):
        load_config(path)


def test_a_byte_order_mark_is_allowed(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'\xef\xbb\xbfsort = "date"\n')
    assert load_config(path) == (Config(sort="date"), [])


def test_names_and_values_in_messages_are_escaped(tmp_path):
    folder = tmp_path / "\x1b]0;owned\x07"
    folder.mkdir()
    path = folder / "config.toml"
    path.write_text('"\\u001b[2J" = 1\nsort = "\\u202eevil"\n')
    _, warnings = load_config(path)
    assert len(warnings) == 2
    for warning in warnings:
        assert warning.isprintable() and "\x1b" not in warning and "\u202e" not in warning
        assert warning.startswith(str(tmp_path) + "/\\e]0;owned\\x07/config.toml: ")
    assert "'\\e[2J'" in warnings[0] and "'\\u202eevil'" in warnings[1]
    path.write_text("[")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value).isprintable() and "\\e]0;owned" in str(error.value)


def test_the_sort_keys_are_the_library_s():
    assert tuple(key.value for key in SortKey) == SORT_KEYS


def test_an_unknown_theme_gets_one_line_naming_some_that_exist():
    themes = {"textual-dark", "textual-light", "nord"}
    assert theme_warning("nord", themes, "textual-dark") is None
    assert theme_warning("\x1b[2Jsolarised", themes, "textual-dark") == (
        "unknown theme '\\e[2Jsolarised'; using textual-dark (themes: nord, textual-dark, textual-light)"
    )
    many = {f"theme-{n:02}" for n in range(20)}
    assert theme_warning("x", many, "theme-00").endswith("theme-07, … (20 in all))")


@pytest.mark.parametrize("library", ["/", "~", "HOME"])
def test_the_whole_file_system_or_the_home_folder_is_not_a_library(tmp_path, monkeypatch, capsys, library):
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = str(tmp_path) if library == "HOME" else library
    what = "the whole file system" if library == "/" else "the home folder itself"
    for argv in (["check", folder], ["list", folder, "--json"], [folder]):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert out == ""
        named = os.path.expanduser(folder)
        assert err == f"reader: {named}: {what} is not a library; name the folder that holds the articles\n"
    config = tmp_path / "config.toml"
    config.write_text(f'library = "{folder}"\n')
    monkeypatch.setenv("READER_CONFIG", str(config))
    assert main(["list"]) == 2
    assert what in capsys.readouterr().err


def test_library_problem_allows_a_folder_inside_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "news").mkdir()
    assert library_problem(tmp_path / "news") is None
    assert library_problem(Path("~/news")) is None
    assert library_problem(tmp_path / "news" / "..") is not None  # resolved first


def test_the_bundled_folders_are_found():
    assert (bundled_path("data") / "2021").is_dir()
    assert (bundled_path("styles") / "reader.tcss").is_file()
    assert isinstance(bundled_path("data"), Path)


def test_settings_for_reading_watching_and_fields(tmp_path: Path) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text(
        'mark_read = "manual"\nwatch = "poll"\n[fields]\ndate = ["released_on"]\n', encoding="utf-8"
    )
    config, warnings = load_config(config_file)
    assert warnings == []
    assert config.mark_read == "manual" and config.watch == "poll"
    assert "released_on" in config.fields.date
    assert config.fields_signature  # its own cache file: what an article says depends on it


def test_bad_reading_and_watching_values_are_warnings(tmp_path: Path) -> None:
    config_file = tmp_path / "config.toml"
    config_file.write_text('mark_read = "sometimes"\nwatch = "always"\n', encoding="utf-8")
    config, warnings = load_config(config_file)
    assert config.mark_read == "on-view" and config.watch == "auto"
    assert any("mark_read" in w for w in warnings) and any("watch" in w for w in warnings)
