"""reader.preferences: the theme and order chosen in the app, remembered in the state folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from reader.config import Config, state_dir
from reader.preferences import (
    ChoiceMemory,
    Preferences,
    StartChoices,
    load_preferences,
    preferences_path,
    save_preferences,
    start_choices,
)


def test_nothing_remembered_means_the_defaults():
    assert not preferences_path().exists()
    assert load_preferences() == (Preferences(), [])


def test_the_file_lives_in_the_state_folder_not_beside_the_config(private_state_dirs):
    assert preferences_path() == state_dir() / "preferences.json"
    assert preferences_path().is_relative_to(private_state_dirs / "xdg_state_home")


def test_saved_choices_come_back():
    chosen = Preferences().chosen(Config(), theme="nord").chosen(Config(), sort="heat", reverse=True)
    assert save_preferences(chosen) is None
    assert load_preferences() == (chosen, [])
    assert chosen == Preferences(
        theme="nord", sort="heat", reverse=True, config_theme="textual-dark", config_sort="quality"
    )


def test_saving_leaves_no_temporary_file_and_never_touches_the_config(tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('theme = "textual-light"\n')
    monkeypatch.setenv("READER_CONFIG", str(config))
    before = config.read_bytes(), config.stat().st_mtime_ns
    assert save_preferences(Preferences(theme="nord")) is None
    assert save_preferences(Preferences(theme="dracula")) is None
    assert sorted(p.name for p in preferences_path().parent.iterdir()) == ["preferences.json"]
    assert (config.read_bytes(), config.stat().st_mtime_ns) == before


# --- which value wins ---------------------------------------------------------------------------


def test_precedence_command_line_then_remembered_then_config_then_default():
    config = Config(sort="date", theme="textual-light")
    assert start_choices(Config(), Preferences()) == StartChoices("textual-dark", "quality", False)
    assert start_choices(config, Preferences()) == StartChoices("textual-light", "date", False)
    remembered = Preferences().chosen(config, theme="nord", sort="heat", reverse=True)
    assert start_choices(config, remembered) == StartChoices("nord", "heat", True)
    assert start_choices(config, remembered, sort="title") == StartChoices("nord", "title", False)


def test_a_remembered_choice_lapses_when_the_user_changes_that_setting_in_the_config():
    remembered = Preferences().chosen(Config(theme="textual-light"), theme="nord", sort="heat")
    edited = Config(theme="gruvbox")  # edited after the choice: the newer, explicit one
    assert start_choices(edited, remembered) == StartChoices("gruvbox", "heat", False)
    edited = Config(theme="textual-light", sort="date")
    assert start_choices(edited, remembered) == StartChoices("nord", "date", False)


def test_a_remembered_sort_that_does_not_exist_is_not_used():
    remembered = Preferences(sort="sideways", config_sort="quality", reverse=True)
    assert start_choices(Config(), remembered) == StartChoices("textual-dark", "quality", False)


# --- damage, folders that cannot be written, two instances ------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe{}", "not JSON"),
        (b"[1, 2]", "not a preferences file"),
        (b'{"theme": "nord"}', "not a preferences file"),
        (b'{"version": 1, "theme": 7}', "theme is not text"),
        (b'{"version": 1, "reverse": "yes"}', "reverse is not true or false"),
        (b"[" * 50_000 + b"]" * 50_000, "far too large"),
        (b'{"version": 1, "x": ' + b"[" * 20_000 + b"]" * 20_000 + b"}", "not JSON"),  # too deep to parse
        (b"", "not JSON"),
    ],
)
def test_a_damaged_file_is_moved_aside_with_the_date_and_said(content, reason):
    path = preferences_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    preferences, warnings = load_preferences()
    assert preferences == Preferences()
    (kept,) = [p for p in path.parent.iterdir() if p.name != "preferences.json"]
    assert kept.read_bytes() == content  # never deleted
    assert kept.name.startswith("preferences.json.damaged-20")
    assert not path.exists()
    assert warnings == [f"{path}: damaged ({reason}); kept as {kept.name}; the last theme and order are lost"]


def test_a_second_damaged_file_does_not_overwrite_the_first():
    path = preferences_path()
    path.parent.mkdir(parents=True)
    for content in (b"one", b"two"):
        path.write_bytes(content)
        load_preferences()
    kept = sorted(p.read_bytes() for p in path.parent.iterdir())
    assert kept == [b"one", b"two"]


def test_a_newer_file_is_read_for_what_this_version_knows():
    path = preferences_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": 9, "theme": "nord", "columns": [1, 2]}))
    assert load_preferences() == (Preferences(theme="nord"), [])


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_means_not_remembered_with_one_warning():
    folder = preferences_path().parent
    folder.mkdir(parents=True)
    folder.chmod(0o500)
    try:
        memory = ChoiceMemory(Config())
        warning = memory(theme="nord")
        assert warning is not None and warning.startswith(f"cannot remember the theme and order in {folder} (")
        assert memory(sort="heat", reverse=False) is None  # said once, not at every key press
        assert not preferences_path().exists()
    finally:
        folder.chmod(0o700)


def test_a_state_folder_that_is_a_file_means_not_remembered(private_state_dirs):
    blocker = preferences_path().parent
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    warning = save_preferences(Preferences(theme="nord"))
    assert warning is not None and warning.startswith("cannot remember the theme and order in ")
    memory = ChoiceMemory(Config())
    assert memory(theme="nord") is not None
    assert memory(theme="dracula") is None  # said once, not at every change
    assert blocker.read_text() == "not a folder"
    assert load_preferences()[0] == Preferences()


def test_a_fifo_in_its_place_does_not_hang():
    path = preferences_path()
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    preferences, warnings = load_preferences()
    assert preferences == Preferences()
    assert warnings == [f"{path}: not a regular file; the last theme and order are not restored"]


def test_each_choice_keeps_the_other_instance_s_choices():
    first, second = ChoiceMemory(Config()), ChoiceMemory(Config())
    assert first(theme="nord") is None
    assert second(sort="date", reverse=True) is None  # reads the file again: nord stays
    assert load_preferences()[0] == Preferences(
        theme="nord", sort="date", reverse=True, config_theme="textual-dark", config_sort="quality"
    )


def test_a_hostile_state_path_is_escaped_in_warnings(tmp_path):
    path = tmp_path / "\x1b]0;owned\x07" / "preferences.json"
    path.parent.mkdir()
    path.write_bytes(b"{")
    _, warnings = load_preferences(path)
    assert warnings[0].isprintable() and "\\e]0;owned\\x07" in warnings[0]


_KILLED_WRITER = """
import sys
from reader.preferences import Preferences, save_preferences
print("ready", flush=True)
for number in range(1_000_000):
    save_preferences(Preferences(theme="theme-" + "x" * (number % 500)))
"""


def test_kill_9_while_saving_leaves_a_whole_file():
    for delay in (0.05, 0.2, 0.4):
        writer = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER], stdout=subprocess.PIPE, env=os.environ.copy())
        assert writer.stdout is not None and writer.stdout.readline() == b"ready\n"
        try:
            writer.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            writer.send_signal(signal.SIGKILL)
            writer.wait()
        preferences, warnings = load_preferences()
        assert warnings == []
        assert preferences.theme is None or preferences.theme.startswith("theme-")


def test_the_written_file_is_plain_json(tmp_path):
    path = tmp_path / "state" / "preferences.json"
    assert save_preferences(Preferences(theme="nörd"), path) is None
    data = json.loads(Path(path).read_text(encoding="ascii"))
    assert data["version"] == 1 and data["theme"] == "nörd"
