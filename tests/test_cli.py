"""reader.cli: `reader list`, `reader check`, and `python -m reader`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
from conftest import front_matter, write_article

from reader.cache import default_cache_path
from reader.cli import EXIT_NO_FOLDER, EXIT_OK, EXIT_REJECTED, main
from reader.library import SortKey

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data"
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
SECURED = "c2VjcmV0IHBheWxvYWQ=;aXY="


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "articles"
    write_article(
        root,
        "2021/06/ai-one.md",
        "---\n"
        'title: "AI one"\n'
        "quality: 80\nheat: 10\n"
        "publishedDateTime: 2021-06-23T04:14:00Z\n"
        'webUrl: "https://news.example.com/ai-one"\n'
        'originalUrl: "https://publisher.example/ai-one"\n'
        "provider: {name: Wire, domain: wire.example}\n"
        "topics: [AI, Robotics]\n"
        f'secured: "{SECURED}"\n'
        "related:\n"
        '  - title: "AI two, in this library"\n'
        '    webUrl: "https://NEWS.example.com/ai-two/"\n'
        '  - title: "Elsewhere"\n'
        '    webUrl: "https://elsewhere.example/x"\n'
        '  - title: "Bad link"\n'
        '    webUrl: "javascript:alert(1)"\n'
        "---\n",
    )
    write_article(
        root,
        "2021/06/ai-two.txt",
        front_matter(
            title='"AI two"',
            quality=60,
            heat=90,
            publishedDateTime="2021-06-20",
            webUrl='"https://news.example.com/ai-two"',
            topics="AI",
        ),
    )
    write_article(
        root,
        "2021/07/space.md",
        front_matter(
            title='"Space story"', quality=95, heat=-1, published="false", topics="[Space]", provider='"Orbit"'
        ),
    )
    write_article(root, "2021/07/undated.markdown", front_matter(title='"Undated AI"', topics="[AI]", heat=50))
    write_article(root, "README.md", "# About\n")
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def table_titles(out: str) -> list[str]:
    lines = out.rstrip("\n").split("\n")
    return [line.split("  ")[-1].strip() for line in lines[1:-1]]


# --- reader list ----------------------------------------------------------------------------


def test_list_prints_a_table_with_a_header_and_a_count(capsys, library):
    code, out, err = run(capsys, "list", str(library))
    assert code == EXIT_OK
    lines = out.rstrip("\n").split("\n")
    assert lines[0].split() == ["QUAL", "HEAT", "DATE", "PROVIDER", "TITLE"]
    assert lines[-1] == "4 articles"
    assert len(lines) == 6
    assert "Space story" in lines[1] and "[draft]" in lines[1]  # quality 95 first; a draft says so
    assert "2021-06-23" in out
    assert err == ""


def test_list_table_marks_missing_values(capsys, library):
    _, out, _ = run(capsys, "list", str(library), "--sort", "title")
    row = next(line for line in out.splitlines() if "Undated AI" in line)
    assert row.split()[:3] == ["-", "50", "-"]  # no quality, heat 50, no date


def test_list_default_order_is_quality(capsys, library):
    _, out, _ = run(capsys, "list", str(library))
    assert [t.replace("[draft] ", "") for t in table_titles(out)] == ["Space story", "AI one", "AI two", "Undated AI"]


def test_list_by_topic_and_heat(capsys, library):
    code, out, _ = run(capsys, "list", str(library), "--topic", "AI", "--sort", "heat")
    assert code == EXIT_OK
    assert table_titles(out) == ["AI two", "Undated AI", "AI one"]
    assert out.rstrip().endswith("3 articles")


def test_list_topic_is_found_regardless_of_case(capsys, library):
    code, out, _ = run(capsys, "list", str(library), "--topic", "robotics")
    assert code == EXIT_OK
    assert table_titles(out) == ["AI one"]


def test_list_an_unknown_topic_is_an_error(capsys, library):
    code, out, err = run(capsys, "list", str(library), "--topic", "Nothing")
    assert code == EXIT_REJECTED
    assert "Nothing" in err
    assert out == ""


def test_list_limit(capsys, library):
    _, out, _ = run(capsys, "list", str(library), "--limit", "2")
    assert table_titles(out) == ["[draft] Space story", "AI one"]
    assert out.rstrip().endswith("\n2 of 4 articles")  # how many there are, not only how many are shown
    _, out, _ = run(capsys, "list", str(library), "--limit", "0", "--json")
    assert json.loads(out) == []


def test_list_limit_says_how_many_of_how_many(capsys, library):
    _, out, _ = run(capsys, "list", str(library), "--limit", "3")
    assert out.rstrip().endswith("\n3 of 4 articles")
    _, out, _ = run(capsys, "list", str(library), "--limit", "4")
    assert out.rstrip().endswith("\n4 articles")
    _, out, _ = run(capsys, "list", str(library), "--limit", "9", "--topic", "AI")
    assert out.rstrip().endswith("\n3 articles")


@pytest.mark.parametrize("limit", ["-1", "many", "1.5"])
def test_list_a_negative_or_unreadable_limit_is_an_error(capsys, library, limit):
    with pytest.raises(SystemExit) as stopped:
        main(["list", str(library), "--limit", limit])
    assert stopped.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines()[-1].startswith("reader list: error: argument --limit: ")


def test_list_by_provider_and_category(capsys, library):
    write_article(library, "2021/08/analysis.md", front_matter(title='"Deep dive"', category="analysis", topics="[AI]"))
    code, out, _ = run(capsys, "list", str(library), "--provider", "wire")
    assert code == EXIT_OK
    assert table_titles(out) == ["AI one"]
    code, out, _ = run(capsys, "list", str(library), "--category", "Analysis")
    assert code == EXIT_OK
    assert table_titles(out) == ["Deep dive"]
    # Several filters: the articles that match them all.
    code, out, _ = run(capsys, "list", str(library), "--topic", "AI", "--category", "analysis", "--json")
    assert [row["title"] for row in json.loads(out)] == ["Deep dive"]
    code, out, _ = run(capsys, "list", str(library), "--topic", "Space", "--provider", "Wire")
    assert code == EXIT_OK
    assert out.rstrip().endswith("\n0 articles")


def test_list_an_unknown_name_says_which_names_exist(capsys, library):
    code, out, err = run(capsys, "list", str(library), "--topic", "Robtics")
    assert code == EXIT_REJECTED
    assert out == ""
    assert len(err.splitlines()) == 1
    assert "no topic 'Robtics'" in err
    assert "did you mean 'Robotics'?" in err
    assert "Topics: AI, Robotics, Space" in err  # the most common first
    code, _, err = run(capsys, "list", str(library), "--provider", "Nobody")
    assert code == EXIT_REJECTED
    assert "no provider 'Nobody'" in err and "Providers: " in err and "Orbit" in err and "Wire" in err


def test_list_a_name_of_another_kind_says_which_option_to_use(capsys, library):
    write_article(library, "2021/08/analysis.md", front_matter(title='"Deep dive"', category="analysis"))
    code, _, err = run(capsys, "list", str(library), "--topic", "analysis")
    assert code == EXIT_REJECTED
    assert "no topic 'analysis'; it is a category (--category)" in err


def test_list_a_long_list_of_names_is_cut_short(capsys, tmp_path):
    root = tmp_path / "many"
    for number in range(30):
        write_article(root, f"{number}.md", front_matter(title=f'"T{number}"', topics=f"[Topic {number:02}]"))
    _, _, err = run(capsys, "list", str(root), "--topic", "nothing like it")
    assert "Topic 09, … (30 in all)" in err
    assert "Topic 10" not in err


def test_list_unknown_names_are_shown_escaped(capsys, library):
    code, _, err = run(capsys, "list", str(library), "--topic", "\x1b]0;owned\x07")
    assert code == EXIT_REJECTED
    assert "\x1b" not in err and "\x07" not in err
    assert "\\e]0;owned\\x07" in err


def test_list_follows_the_configured_sort(capsys, library, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text('sort = "heat"\n')
    monkeypatch.setenv("READER_CONFIG", str(config))
    _, out, _ = run(capsys, "list", str(library))
    assert [t.replace("[draft] ", "") for t in table_titles(out)] == ["AI two", "Undated AI", "AI one", "Space story"]
    _, out, _ = run(capsys, "list", str(library), "--sort", "title")  # the command line still wins
    assert table_titles(out)[0] == "AI one"


def test_list_by_date_puts_undated_last(capsys, library):
    _, out, _ = run(capsys, "list", str(library), "--sort", "date", "--json")
    assert [row["title"] for row in json.loads(out)][-1] in ("Undated AI", "Space story")
    dates = [row["published_at"] for row in json.loads(out)]
    known = [d for d in dates if d is not None]
    assert dates[: len(known)] == sorted(known, reverse=True)


def test_list_json_fields(capsys, library):
    code, out, _ = run(capsys, "list", str(library), "--json", "--body", "--topic", "AI", "--sort", "quality")
    assert code == EXIT_OK
    rows = json.loads(out)
    assert [row["title"] for row in rows] == ["AI one", "AI two", "Undated AI"]
    one = rows[0]
    required = {
        "id",
        "path",
        "title",
        "excerpt",
        "category",
        "type",
        "quality",
        "heat",
        "published",
        "published_at",
        "provider",
        "topics",
        "url",
        "web_url",
        "related",
    }
    assert required <= set(one)
    assert one["id"] == "https://news.example.com/ai-one"
    assert one["path"] == "2021/06/ai-one.md"
    assert one["quality"] == 80 and one["heat"] == 10
    assert one["published"] is True
    assert one["published_at"] == "2021-06-23T04:14:00Z"
    assert one["provider"] == {"name": "Wire", "domain": "wire.example"}
    assert one["topics"] == ["AI", "Robotics"]
    assert one["url"] == "https://publisher.example/ai-one"  # originalUrl first
    assert one["web_url"] == "https://news.example.com/ai-one"
    assert [(r["title"], r["url"], r["article_id"]) for r in one["related"]] == [
        ("AI two, in this library", "https://news.example.com/ai-two/", "https://news.example.com/ai-two"),
        ("Elsewhere", "https://elsewhere.example/x", None),
        ("Bad link", None, None),
    ]
    undated = rows[2]
    assert undated["published_at"] is None
    assert undated["quality"] is None
    assert undated["url"] is None and undated["web_url"] is None
    assert undated["id"] == undated["path"] == "2021/07/undated.markdown"


def test_list_json_without_body_opens_no_file_and_says_the_same(capsys, library, monkeypatch):
    _, with_body, _ = run(capsys, "list", str(library), "--json", "--body", "--sort", "date")
    from reader import folder_loader, loading

    monkeypatch.setattr(loading, "load_file", lambda *a, **k: pytest.fail("a file was read"))
    monkeypatch.setattr(folder_loader, "load_file", lambda *a, **k: pytest.fail("a file was read"))
    code, out, _ = run(capsys, "list", str(library), "--json", "--sort", "date")
    assert code == EXIT_OK
    full, rows = json.loads(with_body), json.loads(out)
    assert [row["id"] for row in rows] == [row["id"] for row in full]
    for row, whole in zip(rows, full, strict=True):
        assert "body" not in row and "related" not in row and "excerpt" not in row
        assert row == {key: value for key, value in whole.items() if key in row}  # the same values, fewer keys
        assert {"body", "excerpt", "related", "web_url", "original_url"} <= set(whole)


def test_list_body_without_json_is_a_usage_error(capsys, library):
    code, _, err = run(capsys, "list", str(library), "--body")
    assert code == 2 and "--body goes with --json" in err


def test_list_json_body_in_parallel_processes_gives_what_one_process_gives(tmp_path):
    from reader.folder_loader import read_articles
    from reader.loading import load_file

    root = tmp_path / "lib"
    for n in range(260):
        write_article(root, f"{n:03d}.md", front_matter(title=f'"Story {n}"', quality=n % 100) + f"Body {n}.\n")
    paths = [f"{n:03d}.md" for n in range(260)] + ["missing.md"]
    articles = read_articles(root, paths, workers=2)
    assert articles[:-1] == [load_file(root, path) for path in paths[:-1]] and articles[-1] is None


def test_list_json_heat_minus_one_is_null_and_drafts_say_so(capsys, library):
    _, out, _ = run(capsys, "list", str(library), "--json", "--topic", "Space")
    (row,) = json.loads(out)
    assert row["heat"] is None
    assert row["published"] is False
    assert row["provider"] == {"name": "Orbit", "domain": ""}


def test_list_json_types_and_formats_on_the_sample(capsys):
    code, out, _ = run(capsys, "list", str(SAMPLE), "--json", "--body", "--no-cache")
    assert code == EXIT_OK
    rows = json.loads(out)
    assert len(rows) >= 40
    for row in rows:
        assert "\\" not in row["path"] and not row["path"].startswith("/")
        assert row["published_at"] is None or ISO_Z.fullmatch(row["published_at"])
        assert row["quality"] is None or isinstance(row["quality"], int)
        assert row["heat"] is None or (isinstance(row["heat"], int) and row["heat"] >= 0)
        assert isinstance(row["topics"], list) and all(isinstance(t, str) for t in row["topics"])
        assert set(row["provider"]) == {"name", "domain"}
        assert row["url"] is None or row["url"].startswith(("http://", "https://"))
        for story in row["related"]:
            assert {"title", "url", "article_id"} <= set(story)
    seed = next(row for row in rows if row["path"] == "2021/06/000_3a2cf1b7735a9b42.txt")
    assert seed["heat"] is None
    assert seed["excerpt"].startswith("EU’s")


def test_list_json_never_shows_the_secured_payload(capsys, library):
    _, out, _ = run(capsys, "list", str(library), "--json")
    assert SECURED not in out
    assert all("secured" not in row for row in json.loads(out))


def test_list_output_has_no_control_characters(capsys, tmp_path):
    root = tmp_path / "articles"
    write_article(root, "evil.md", '---\ntitle: "Evil \\e[2J\\e]0;owned\\a title\\u202e"\nexcerpt: "x\\x9b31m"\n---\n')
    for argv in (["list", str(root)], ["list", str(root), "--json"]):
        _, out, _ = run(capsys, *argv)
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
        assert "Evil" in out


# --- reader check ----------------------------------------------------------------------------------


def test_check_on_the_bundled_sample_exits_0(capsys):
    code, out, _ = run(capsys, "check", str(SAMPLE))
    assert code == EXIT_OK
    lines = out.rstrip("\n").split("\n")
    assert len(lines) == 1
    assert re.fullmatch(r"\d+ articles loaded, 0 files rejected, 0 duplicates, 1 other file skipped", lines[0])


def test_check_reports_each_broken_file_on_one_line_and_exits_1(capsys, library):
    broken = {
        "2021/06/invalid.md": "---\ntitle: [unclosed\n---\n",
        "2021/07/binary.md": b"\x89PNG\r\n\x1a\n\x00\x00",
        "deep/er/open.txt": "---\ntitle: never closed\n",
        "list.md": "---\n- a\n- b\n---\n",
    }
    for name, text in broken.items():
        write_article(library, name, text)
    code, out, _ = run(capsys, "check", str(library))
    assert code == EXIT_REJECTED
    lines = out.rstrip("\n").split("\n")
    assert len(lines) == len(broken) + 1
    for line in lines[:-1]:
        path, _, reason = line.partition(": ")
        assert path in broken and reason
    assert sorted(line.partition(": ")[0] for line in lines[:-1]) == sorted(broken)
    assert lines[-1] == "4 articles loaded, 4 files rejected, 0 duplicates, 1 other file skipped"


def test_check_lists_duplicates_but_they_do_not_fail_it(capsys, library):
    write_article(library, "2021/copy.md", front_matter(title="Copy", webUrl='"https://News.Example.com/ai-two/"'))
    code, out, _ = run(capsys, "check", str(library))
    assert code == EXIT_OK
    lines = out.rstrip("\n").split("\n")
    assert lines[-1].startswith("4 articles loaded, 0 files rejected, 1 duplicate")
    assert any(line.endswith(("duplicate of 2021/06/ai-two.txt", "duplicate of 2021/copy.md")) for line in lines[:-1])


def test_a_missing_folder_exits_2(capsys, tmp_path):
    for command in ("list", "check"):
        code, out, err = run(capsys, command, str(tmp_path / "nope"))
        assert code == EXIT_NO_FOLDER
        assert "nope" in err
        assert out == ""


def test_a_file_instead_of_a_folder_exits_2(capsys, tmp_path):
    path = write_article(tmp_path, "one.md", front_matter(title="T"))
    code, _, err = run(capsys, "check", str(path))
    assert code == EXIT_NO_FOLDER
    assert err


# --- the cache from the command line ------------------------------------------------------------------


def test_list_uses_the_cache_in_the_cache_folder(capsys, library):
    cache = default_cache_path()
    assert not cache.exists()
    first = run(capsys, "list", str(library), "--json")
    assert cache.exists()
    assert not str(cache).startswith(str(library))
    assert run(capsys, "list", str(library), "--json") == first


def test_no_cache_neither_reads_nor_writes_it(capsys, library):
    cache = default_cache_path()
    code, out, _ = run(capsys, "list", str(library), "--no-cache")
    assert code == EXIT_OK
    assert out.rstrip().endswith("4 articles")
    assert not cache.exists()
    code, _, _ = run(capsys, "check", str(library), "--no-cache")
    assert code == EXIT_OK
    assert not cache.exists()


def test_no_cache_ignores_a_stale_cache(capsys, library):
    import sqlite3

    run(capsys, "list", str(library))
    # A cache that says something the file does not (the cache sees every edit of the file itself).
    with sqlite3.connect(default_cache_path()) as db:
        db.execute("UPDATE articles SET title='Other story' WHERE title='Space story'")
    for snapshot in default_cache_path().parent.glob("*.libraries/*.snapshot"):
        snapshot.unlink()  # else the library is read whole from there, not from the rows
    _, cached, _ = run(capsys, "list", str(library))
    assert "Other story" in cached
    _, fresh, _ = run(capsys, "list", str(library), "--no-cache")
    assert "Space story" in fresh and "Other story" not in fresh


def test_the_cli_never_writes_into_the_articles_folder(capsys, library):
    before = sorted((str(p), p.stat().st_mtime_ns) for p in library.rglob("*"))
    run(capsys, "list", str(library))
    run(capsys, "list", str(library), "--json")
    run(capsys, "check", str(library))
    assert sorted((str(p), p.stat().st_mtime_ns) for p in library.rglob("*")) == before


# --- reader PATH: the app ------------------------------------------------------------------------


class _RecordedApp:
    """Stands in for ReaderApp: records how the CLI starts it."""

    started: list[tuple[Path, dict]] = []

    def __init__(self, root: Path, **options: object) -> None:
        self.started.append((root, options))

    def run(self) -> None:
        pass


@pytest.fixture
def recorded_app(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, dict]]:
    fake = types.ModuleType("reader.app")
    fake.ReaderApp = _RecordedApp  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "reader.app", fake)
    _RecordedApp.started = []
    return _RecordedApp.started


def test_the_app_starts_with_the_config_then_the_remembered_choice_then_the_command_line(
    capsys, library, tmp_path, monkeypatch, recorded_app
):
    config = tmp_path / "config.toml"
    config.write_text('sort = "heat"\ntheme = "textual-light"\ncolour = "red"\n')
    monkeypatch.setenv("READER_CONFIG", str(config))
    assert main([str(library)]) == EXIT_OK
    root, options = recorded_app[-1]
    assert root == library
    assert (options["sort"], options["reverse"], options["theme"]) == (SortKey.HEAT, False, "textual-light")
    assert options["use_cache"] is True
    assert [w.split(": ", 1)[1] for w in options["warnings"]] == [
        "unknown setting 'colour' ignored (settings: library, sort, theme, cache, feeds_folder, mark_read, watch, fields, keys, searches)"
    ]
    assert "unknown setting 'colour'" in capsys.readouterr().err  # said on the terminal too, before the app
    # What the app remembers comes back at the next start, over the config...
    assert options["remember"](theme="nord") is None
    assert options["remember"](sort=SortKey.DATE, reverse=True) is None
    main([str(library), "--no-cache"])
    _, options = recorded_app[-1]
    assert (options["sort"], options["reverse"], options["theme"]) == (SortKey.DATE, True, "nord")
    assert options["use_cache"] is False
    # ... and the command line wins over both.
    main([str(library), "--sort", "title"])
    _, options = recorded_app[-1]
    assert (options["sort"], options["reverse"], options["theme"]) == (SortKey.TITLE, False, "nord")


# --- python -m reader ------------------------------------------------------------------------------


def _python_m_reader(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reader", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )


def test_python_m_reader_help():
    result = _python_m_reader("--help")
    assert result.returncode == 0, result.stderr
    for word in ("list", "check", "PATH"):
        assert word in result.stdout


def test_each_command_names_itself_in_its_help(capsys):
    for command, options in (
        ("list", ["--topic", "--category", "--provider", "--sort", "--limit", "--json", "--no-cache", "PATH"]),
        ("check", ["--no-cache", "PATH"]),
    ):
        with pytest.raises(SystemExit) as stopped:
            main([command, "--help"])
        assert stopped.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: reader {command} [-h]")
        assert "check [PATH]" not in out.replace(f"reader {command}", "")
        for option in options:
            assert option in out


def test_a_command_s_errors_name_the_command(capsys, library):
    with pytest.raises(SystemExit):
        main(["list", str(library), "--sort", "sideways"])
    err = capsys.readouterr().err
    assert "reader list: error: argument --sort: invalid choice: 'sideways'" in err
    assert "reader check" not in err


@pytest.mark.parametrize("argv", [["check", "a", "\x1b]0;owned\x07"], ["list", "--\x1b[2J"], ["a", "\x1b[2J"]])
def test_argument_errors_quote_what_was_typed_escaped(capsys, argv):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: " in err
    assert "\x1b" not in err and "\x07" not in err
    assert "\\e" in err


def test_reader_help_lists_the_app_s_options_and_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for word in ("reader [PATH]", "--sort", "--no-cache", "--version", "list", "check", "reader COMMAND --help"):
        assert word in out
    assert "open" not in out.replace("opens", "")  # no command the README does not have


def test_python_m_reader_version():
    result = _python_m_reader("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("reader ")


def test_python_m_reader_check_exit_codes(tmp_path):
    assert _python_m_reader("check", str(SAMPLE), "--no-cache").returncode == 0
    write_article(tmp_path, "bad.md", "---\n[\n---\n")
    result = _python_m_reader("check", str(tmp_path), "--no-cache")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith("bad.md: ")
    assert _python_m_reader("check", str(tmp_path / "missing")).returncode == 2


def test_check_all_lists_skipped_files_with_their_reason(tmp_path, capsys) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: A story\nwebUrl: https://example.com/a\n---\nText.\n", encoding="utf-8")
    (folder / "cover.jpg").write_bytes(b"\xff\xd8")
    (folder / "README.md").write_text("# Just a readme\n", encoding="utf-8")
    assert main(["check", str(folder), "--no-cache", "--all"]) == 0
    out = capsys.readouterr().out
    assert "README.md: skipped: no front matter" in out
    assert "cover.jpg: skipped: not an article file" in out
    assert main(["check", str(folder), "--no-cache"]) == 0
    assert "cover.jpg" not in capsys.readouterr().out


def test_a_damaged_cache_is_said_once_and_the_list_is_whole(tmp_path, capsys) -> None:
    from reader.cache import default_cache_path

    folder = tmp_path / "lib"
    folder.mkdir()
    for n in range(3):
        (folder / f"{n}.md").write_text(f"---\ntitle: Story {n}\nwebUrl: https://example.com/{n}\n---\n", encoding="utf-8")
    assert main(["list", str(folder)]) == 0
    cache = default_cache_path()
    data = bytearray(cache.read_bytes())
    data[100:140] = b"\xff" * 40  # the header and schema pages scrambled
    cache.write_bytes(bytes(data))
    capsys.readouterr()
    assert main(["list", str(folder)]) == 0
    captured = capsys.readouterr()
    assert "3 articles" in captured.out
    assert "cache" in captured.err and captured.err.count("\n") <= 2
    assert "Traceback" not in captured.err


def test_list_says_when_files_could_not_be_read(tmp_path, capsys) -> None:
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "good.md").write_text("---\ntitle: Good\nwebUrl: https://example.com/g\n---\n", encoding="utf-8")
    (folder / "bad.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    for extra in ([], ["--json"]):
        assert main(["list", str(folder), "--no-cache", *extra]) == 0
        captured = capsys.readouterr()
        assert "1 file could not be read (reader check names them)" in captured.err
        assert "Good" in captured.out
