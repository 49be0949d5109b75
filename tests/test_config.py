"""The settings file: defaults without one, each setting read, mistakes named."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.cli import main
from reader.config import Config, ConfigError, bundled_path, cache_dir, config_path, load_config


def test_no_file_means_the_defaults(tmp_path):
    assert load_config(tmp_path / "missing.toml") == Config()


def test_every_setting_is_read(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('library = "~/news"\nsort = "heat"\ntheme = "textual-light"\ncache = false\n')
    assert load_config(path) == Config(library="~/news", sort="heat", theme="textual-light", cache=False)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('colour = "red"\n', "unknown setting 'colour'"),
        ('sort = "random"\n', "sort should be one of"),
        ("cache = 1\n", "cache should be a bool"),
        ("library = [\n", "config.toml"),
    ],
)
def test_a_mistake_is_named(tmp_path, text, named):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=named):
        load_config(path)


def test_paths_follow_the_xdg_variables(private_state_dirs):
    assert config_path().is_relative_to(private_state_dirs)
    assert cache_dir().is_relative_to(private_state_dirs)


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
    config.write_text('sort = "sideways"\n')
    monkeypatch.setenv("READER_CONFIG", str(config))
    assert main(["check"]) == 2
    assert "sort should be one of" in capsys.readouterr().err


def test_the_bundled_folders_are_found():
    assert (bundled_path("data") / "2021").is_dir()
    assert (bundled_path("styles") / "reader.tcss").is_file()
    assert isinstance(bundled_path("data"), Path)
