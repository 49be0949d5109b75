"""Reading state from the command line: `reader list --unread/--starred`, `reader mark`, `reader state`."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import front_matter, write_article

from reader import cli
from reader.cli import EXIT_OK, EXIT_REJECTED, EXIT_USAGE, main
from reader.state import StateError, StateStore, default_state_path

REPO = Path(__file__).resolve().parent.parent
T0 = 1_795_000_000.0  # 2026-11-18T11:06:40Z
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")

AI_ONE = "https://news.example.com/ai-one"
AI_TWO = "https://news.example.com/ai-two"
SPACE = "https://orbit.example/space"
UNDATED = "2021/07/undated.md"  # no webUrl: its id is its path
LATIN1 = os.fsdecode(b"2021/08/caf\xe9.md")  # a name that is not UTF-8: its id holds a lone surrogate
HOSTILE = "2021/08/\x1b]0;owned\x07.md"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "articles"
    articles = {
        "2021/06/ai-one.md": dict(
            title='"AI one"', quality=80, publishedDateTime="2021-06-23T04:14:00Z", webUrl=f'"{AI_ONE}"',
            topics="[AI, Robotics]", provider="{name: Wire, domain: wire.example}", category="news",
        ),
        "2021/06/ai-two.md": dict(
            title='"AI two"', quality=60, publishedDateTime="2021-06-20T12:00:00Z", webUrl=f'"{AI_TWO}"',
            topics="[AI]", provider='"Orbit"', category="analysis",
        ),
        "2021/07/space.md": dict(
            title='"Space story"', quality=95, publishedDateTime="2021-07-10T08:00:00Z", webUrl=f'"{SPACE}"',
            topics="[Space]", provider='"Orbit"', category="news",
        ),
        UNDATED: dict(title='"Undated AI"', quality=40, topics="[AI]"),
        LATIN1: dict(title='"Caf\xe9 story"', quality=30, publishedDateTime="2021-08-01", topics="[Food]"),
        HOSTILE: dict(title='"Hostile name"', quality=20, publishedDateTime="2021-08-02", topics="[Food]"),
    }
    for name, fields in articles.items():
        write_article(root, name, front_matter(**fields))  # type: ignore[arg-type]
    return root


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows(capsys: pytest.CaptureFixture[str], library: Path, *options: str) -> dict[str, dict]:
    """`reader list --json`, keyed by id."""
    code, out, _ = run(capsys, "list", str(library), "--json", *options)
    assert code == EXIT_OK
    return {row["id"]: row for row in json.loads(out)}


def read_ids(capsys, library: Path) -> set[str]:
    return {article_id for article_id, row in rows(capsys, library).items() if row["read"]}


def starred_ids(capsys, library: Path) -> set[str]:
    return {article_id for article_id, row in rows(capsys, library).items() if row["starred"]}


def titles(out: str) -> list[str]:
    return [line.split("  ")[-1].strip() for line in out.rstrip("\n").split("\n")[1:-1]]


def exported(capsys) -> dict:
    code, out, err = run(capsys, "state", "export")
    assert code == EXIT_OK, err
    return json.loads(out)


def usage_error(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as stopped:
        main(list(argv))
    assert stopped.value.code == EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == ""
    return err


# --- reader list: the new keys and filters -------------------------------------------------------


def test_json_has_read_starred_and_first_seen_for_every_article(capsys, library):
    found = rows(capsys, library)
    assert len(found) == 6
    for row in found.values():
        assert (row["read"], row["starred"], row["first_seen"]) == (False, False, None)
    assert not default_state_path().exists()  # reading state creates no file
    with StateStore(default_state_path()) as store:  # as the app records a sighting
        store.see([AI_ONE], now=T0)
    run(capsys, "mark", "--read", "--library", str(library), AI_ONE)
    run(capsys, "mark", "--star", "--library", str(library), UNDATED)
    found = rows(capsys, library)
    assert (found[AI_ONE]["read"], found[AI_ONE]["starred"], found[AI_ONE]["first_seen"]) == (
        True,
        False,
        "2026-11-18T11:06:40Z",  # ISO 8601 in UTC, as published_at
    )
    assert (found[UNDATED]["read"], found[UNDATED]["starred"], found[UNDATED]["first_seen"]) == (False, True, None)
    assert all(isinstance(row["read"], bool) and isinstance(row["starred"], bool) for row in found.values())


def test_unread_after_marking(capsys, library):
    code, out, _ = run(capsys, "list", str(library), "--unread")
    assert code == EXIT_OK and out.rstrip().endswith("\n6 articles")
    run(capsys, "mark", "--read", "--library", str(library), AI_ONE, SPACE)
    _, out, _ = run(capsys, "list", str(library), "--unread", "--sort", "title")
    assert titles(out) == ["AI two", "Café story", "Hostile name", "Undated AI"]
    assert out.rstrip().endswith("\n4 articles")
    run(capsys, "mark", "--unread", "--library", str(library), SPACE)
    _, out, _ = run(capsys, "list", str(library), "--unread", "--sort", "title", "--topic", "Space")
    assert titles(out) == ["Space story"]


def test_starred_combines_with_unread_topic_sort_limit_and_json(capsys, library):
    run(capsys, "mark", "--star", "--library", str(library), AI_ONE, AI_TWO, UNDATED, SPACE)
    run(capsys, "mark", "--read", "--library", str(library), AI_TWO)
    _, out, _ = run(capsys, "list", str(library), "--starred", "--sort", "quality")
    assert titles(out) == ["Space story", "AI one", "AI two", "Undated AI"]
    _, out, _ = run(capsys, "list", str(library), "--starred", "--unread", "--topic", "ai", "--sort", "quality")
    assert titles(out) == ["AI one", "Undated AI"]
    _, out, _ = run(capsys, "list", str(library), "--starred", "--provider", "orbit", "--limit", "1")
    assert titles(out) == ["Space story"] and out.rstrip().endswith("\n1 of 2 articles")
    _, out, _ = run(capsys, "list", str(library), "--starred", "--category", "analysis", "--json")
    assert [(row["id"], row["read"], row["starred"]) for row in json.loads(out)] == [(AI_TWO, True, True)]


# --- reader mark: which articles ---------------------------------------------------------------------


def test_mark_by_id_says_how_many_changed(capsys, library):
    code, out, err = run(capsys, "mark", "--read", "--library", str(library), AI_ONE, AI_TWO)
    assert (code, out, err) == (EXIT_OK, "2 articles marked read\n", "")
    code, out, _ = run(capsys, "mark", "--read", "--library", str(library), AI_ONE, SPACE)
    assert (code, out) == (EXIT_OK, "1 article marked read (1 already was)\n")
    assert read_ids(capsys, library) == {AI_ONE, AI_TWO, SPACE}
    _, out, _ = run(capsys, "mark", "--unread", "--library", str(library), AI_ONE, AI_TWO, SPACE, UNDATED)
    assert out == "3 articles marked unread (1 already was)\n"
    _, out, _ = run(capsys, "mark", "--star", "--library", str(library), AI_ONE)
    assert out == "1 article starred\n"
    _, out, _ = run(capsys, "mark", "--unstar", "--library", str(library), AI_ONE, AI_TWO)
    assert out == "1 article unstarred (1 already was)\n"
    assert read_ids(capsys, library) == set() and starred_ids(capsys, library) == set()


def test_an_article_named_twice_counts_once(capsys, library):
    _, out, _ = run(capsys, "mark", "--read", "--library", str(library), AI_ONE, "2021/06/ai-one.md", AI_ONE)
    assert out == "1 article marked read\n"


def test_mark_by_path_in_the_library_by_file_path_and_by_link(capsys, library, tmp_path, monkeypatch):
    # Its path in the library, as `reader list --json` prints it.
    _, out, _ = run(capsys, "mark", "--read", "--library", str(library), "2021/06/ai-two.md", UNDATED)
    assert out == "2 articles marked read\n"
    # The path to the file: absolute, or from the current folder.
    run(capsys, "mark", "--star", "--library", str(library), str(library / "2021/07/space.md"))
    monkeypatch.chdir(tmp_path)
    run(capsys, "mark", "--star", "--library", str(library), "articles/2021/06/ai-one.md")
    monkeypatch.chdir(library / "2021")
    run(capsys, "mark", "--star", "--library", str(library), "./07/undated.md")
    # Its web address in another spelling, as a related story's link is matched.
    run(capsys, "mark", "--read", "--library", str(library), "https://NEWS.example.com/ai-one/")
    assert read_ids(capsys, library) == {AI_TWO, UNDATED, AI_ONE}
    assert starred_ids(capsys, library) == {SPACE, AI_ONE, UNDATED}


def test_a_file_outside_the_library_is_not_an_article_of_it(capsys, library, tmp_path):
    outside = write_article(tmp_path, "elsewhere/2021/06/ai-one.md", front_matter(title="Other"))
    code, out, err = run(capsys, "mark", "--read", "--library", str(library), str(outside))
    assert code == EXIT_REJECTED
    assert out == "0 articles marked read\n"
    assert "no article" in err and str(outside) in err


def test_mark_a_name_that_is_not_utf8_as_typed_and_as_printed(capsys, library):
    printed = next(row for row in rows(capsys, library).values() if row["title"] == "Café story")
    assert printed["id"] == printed["path"] == "2021/08/caf\\xe9.md"
    code, out, _ = run(capsys, "mark", "--read", "--library", str(library), printed["id"])  # as list --json prints it
    assert (code, out) == (EXIT_OK, "1 article marked read\n")
    code, out, _ = run(capsys, "mark", "--star", "--library", str(library), LATIN1)  # the bytes, as a shell passes them
    assert (code, out) == (EXIT_OK, "1 article starred\n")
    row = rows(capsys, library)["2021/08/caf\\xe9.md"]
    assert row["read"] and row["starred"]


def test_mark_a_hostile_name_by_its_path(capsys, library):
    code, out, err = run(capsys, "mark", "--read", "--library", str(library), HOSTILE)
    assert (code, out, err) == (EXIT_OK, "1 article marked read\n", "")
    code, out, _ = run(capsys, "mark", "--star", "--library", str(library), "2021/08/\\e]0;owned\\x07.md")  # as `check`
    assert (code, out) == (EXIT_OK, "1 article starred\n")
    row = rows(capsys, library)[HOSTILE]
    assert row["read"] and row["starred"]


def test_unknown_ids_are_reported_escaped_and_the_rest_is_still_marked(capsys, library):
    code, out, err = run(
        capsys, "mark", "--read", "--library", str(library), AI_ONE, "https://nowhere.example/x", "\x1b[2Jgone\n.md", SPACE
    )
    assert code == EXIT_REJECTED
    assert out == "2 articles marked read\n"
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0] == f"reader: no article 'https://nowhere.example/x' in {library}"
    assert lines[1] == f"reader: no article '\\e[2Jgone\\n.md' in {library}"
    assert not CONTROL.search(err)
    assert read_ids(capsys, library) == {AI_ONE, SPACE}


def test_only_unknown_ids_mark_nothing_and_exit_1(capsys, library):
    code, out, err = run(capsys, "mark", "--star", "--library", str(library), "nothing.md")
    assert (code, out) == (EXIT_REJECTED, "0 articles starred\n")
    assert "no article 'nothing.md'" in err
    assert not default_state_path().exists()  # nothing to save, no file made


def test_mark_by_topic_category_and_provider(capsys, library):
    code, out, _ = run(capsys, "mark", "--read", "--library", str(library), "--topic", "ai")
    assert (code, out) == (EXIT_OK, "3 articles marked read\n")
    assert read_ids(capsys, library) == {AI_ONE, AI_TWO, UNDATED}
    _, out, _ = run(capsys, "mark", "--star", "--library", str(library), "--provider", "Orbit", "--category", "news")
    assert out == "1 article starred\n"  # the filters combine: only what matches all of them
    assert starred_ids(capsys, library) == {SPACE}
    _, out, _ = run(capsys, "mark", "--unread", "--library", str(library), "--category", "news")
    assert out == "1 article marked unread (1 already was)\n"
    assert read_ids(capsys, library) == {AI_TWO, UNDATED}


def test_mark_by_an_unknown_topic_marks_nothing(capsys, library):
    code, out, err = run(capsys, "mark", "--read", "--library", str(library), "--topic", "Robtics")
    assert code == EXIT_REJECTED and out == ""
    assert "no topic 'Robtics'" in err and "did you mean 'Robotics'?" in err
    assert read_ids(capsys, library) == set()


@pytest.fixture
def local_zone():
    """Set the local time zone (a POSIX TZ string: no tz database needed); put it back afterwards."""
    saved = os.environ.get("TZ")

    def set_zone(zone: str) -> None:
        os.environ["TZ"] = zone
        time.tzset()

    yield set_zone
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="needs time.tzset")
def test_mark_before_a_date(capsys, library, local_zone):
    local_zone("UTC0")
    code, out, _ = run(capsys, "mark", "--read", "--library", str(library), "--before", "2021-06-23")
    assert (code, out) == (EXIT_OK, "1 article marked read\n")  # 2021-06-20; 2021-06-23T04:14Z is not before
    assert read_ids(capsys, library) == {AI_TWO}
    _, out, _ = run(capsys, "mark", "--read", "--library", str(library), "--before", "2021-06-23T04:15Z")
    assert out == "1 article marked read (1 already was)\n"
    _, out, _ = run(capsys, "mark", "--star", "--library", str(library), "--before", "2100-01-01", "--topic", "AI")
    assert out == "2 articles starred\n"  # the undated one is left alone
    assert starred_ids(capsys, library) == {AI_ONE, AI_TWO}


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="needs time.tzset")
def test_a_date_alone_means_local_midnight_as_the_table_shows_dates(capsys, library, local_zone):
    local_zone("EST5")  # UTC-5: 2021-06-23T04:14Z is 2021-06-22 23:14 here, and `reader list` shows 2021-06-22
    _, out, _ = run(capsys, "list", str(library), "--topic", "Robotics")
    assert "2021-06-22" in out
    _, out, _ = run(capsys, "mark", "--read", "--library", str(library), "--before", "2021-06-23")
    assert out == "2 articles marked read\n"
    assert read_ids(capsys, library) == {AI_ONE, AI_TWO}


@pytest.mark.parametrize("date", ["yesterday", "2021-13-01", "\x1b[2J"])
def test_a_date_that_is_not_iso_is_a_usage_error(capsys, library, date):
    err = usage_error(capsys, "mark", "--read", "--library", str(library), "--before", date)
    assert "argument --before: " in err and "is not an ISO date" in err
    assert not CONTROL.search(err)


def test_mark_all(capsys, library):
    run(capsys, "mark", "--read", "--library", str(library), AI_ONE)
    code, out, _ = run(capsys, "mark", "--read", "--library", str(library), "--all")
    assert (code, out) == (EXIT_OK, "5 articles marked read (1 already was)\n")
    assert len(read_ids(capsys, library)) == 6
    _, out, _ = run(capsys, "list", str(library), "--unread")
    assert out.rstrip().endswith("\n0 articles")


def test_arguments_may_come_between_options(capsys, library):
    code, out, _ = run(capsys, "mark", AI_ONE, "--read", SPACE, "--library", str(library), UNDATED)
    assert (code, out) == (EXIT_OK, "3 articles marked read\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "which articles?"),
        (["--all", AI_ONE], "--all marks every article"),
        (["--all", "--topic", "AI"], "--all marks every article"),
        ([AI_ONE, "--topic", "AI"], "not both"),
        ([AI_ONE, "--before", "2021-01-01"], "not both"),
    ],
)
def test_mark_must_be_told_which_articles_and_never_marks_everything_by_default(capsys, library, argv, message):
    err = usage_error(capsys, "mark", "--read", "--library", str(library), *argv)
    assert err.splitlines()[-1].startswith("reader mark: error: ")
    assert message in err
    assert not default_state_path().exists()


def test_mark_needs_exactly_one_of_read_unread_star_unstar(capsys, library):
    err = usage_error(capsys, "mark", "--library", str(library), AI_ONE)
    assert "one of the arguments --read --unread --star --unstar is required" in err
    err = usage_error(capsys, "mark", "--read", "--star", "--library", str(library), AI_ONE)
    assert "not allowed with argument" in err


# --- reader state export / import ---------------------------------------------------------------------


def test_export_with_nothing_marked_is_an_empty_export_and_makes_no_file(capsys):
    data = exported(capsys)
    assert data["format"] == "reader-news-state" and data["articles"] == {}
    assert not default_state_path().exists()


def test_export_then_import_into_a_fresh_state_folder(capsys, library, tmp_path, monkeypatch):
    run(capsys, "mark", "--read", "--library", str(library), "--topic", "AI")
    run(capsys, "mark", "--star", "--library", str(library), SPACE, LATIN1, HOSTILE)
    with StateStore(default_state_path()) as store:
        store.see([AI_ONE], now=T0)
    code, out, err = run(capsys, "state", "export")
    assert code == EXIT_OK and err == ""
    out.encode("ascii")  # ensure_ascii: the lone surrogate of the Latin-1 name travels as \udce9
    assert "\\udce9" in out
    backup = tmp_path / "backup.json"
    backup.write_text(out, encoding="ascii")
    before = rows(capsys, library)

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "another machine"))
    assert not default_state_path().exists()
    code, out, err = run(capsys, "state", "import", str(backup))
    assert (code, err) == (EXIT_OK, "")
    assert out == "6 articles imported; changed: 3 read or unread, 3 starred or unstarred, 1 first seen\n"
    assert rows(capsys, library) == before
    assert exported(capsys)["articles"] == json.loads(backup.read_text())["articles"]
    code, out, _ = run(capsys, "state", "import", str(backup))  # twice: nothing more to change
    assert out == "6 articles imported; changed: 0 read or unread, 0 starred or unstarred, 0 first seen\n"


def test_import_keeps_the_newer_change(capsys, library, tmp_path):
    run(capsys, "mark", "--read", "--library", str(library), AI_ONE, AI_TWO)
    backup = tmp_path / "old.json"
    backup.write_text(run(capsys, "state", "export")[1])
    run(capsys, "mark", "--unread", "--library", str(library), AI_ONE)  # newer than the backup
    code, out, _ = run(capsys, "state", "import", str(backup))
    assert code == EXIT_OK
    assert out.startswith("2 articles imported; changed: 0 read or unread")
    assert read_ids(capsys, library) == {AI_TWO}


def test_import_from_standard_input(capsys, library, monkeypatch):
    run(capsys, "mark", "--star", "--library", str(library), AI_ONE)
    data = run(capsys, "state", "export")[1]
    run(capsys, "mark", "--unstar", "--library", str(library), AI_ONE)
    newer = json.loads(data)
    newer["articles"][AI_ONE]["starred_changed"] = "2100-01-01T00:00:00Z"  # from a machine whose change is newer
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(newer).encode())))
    code, out, _ = run(capsys, "state", "import", "-")
    assert code == EXIT_OK and "1 starred or unstarred" in out
    assert starred_ids(capsys, library) == {AI_ONE}


BROKEN_EXPORTS = {
    "not JSON": (b"{\"format\": ", "is not JSON (Expecting value, line 1 column 12)"),
    "not text": (b"\xff\xfe\x00garbage", "is not JSON ("),
    "deeply nested": (b"[" * 100_000 + b"]" * 100_000, "is not JSON ("),
    "another format": (b'{"format": "opml"}', "this is not a reading-state export"),
    "from a newer reader": (b'{"format": "reader-news-state", "version": 99, "articles": {}}', "newer version"),
    "one bad record": (
        json.dumps(
            {
                "format": "reader-news-state",
                "version": 1,
                "articles": {
                    AI_ONE: {"read": True, "read_changed": "2100-01-01T00:00:00Z"},
                    "\x1b]0;owned\x07": {"read": "yes"},
                },
            }
        ).encode(),
        "article '\\x1b]0;owned\\x07': \"read\" must be true or false",
    ),
}


@pytest.mark.parametrize("kind", list(BROKEN_EXPORTS))
def test_a_broken_import_file_is_one_line_and_changes_nothing(capsys, library, tmp_path, kind):
    run(capsys, "mark", "--read", "--library", str(library), AI_TWO)
    before = exported(capsys)["articles"]
    content, message = BROKEN_EXPORTS[kind]
    broken = tmp_path / "\x1b[2Jbroken.json"
    broken.write_bytes(content)
    code, out, err = run(capsys, "state", "import", str(broken))
    assert code == EXIT_USAGE
    assert out == ""
    assert len(err.splitlines()) == 1
    assert err.startswith(f"reader: {tmp_path}/\\e[2Jbroken.json: ")
    assert message in err
    assert not CONTROL.search(err)
    assert exported(capsys)["articles"] == before


@pytest.mark.parametrize("make", ["missing", "a folder"])
def test_an_import_file_that_cannot_be_read_is_one_line(capsys, tmp_path, make):
    target = tmp_path / "backup.json"
    if make == "a folder":
        target.mkdir()
    code, out, err = run(capsys, "state", "import", str(target))
    assert (code, out) == (EXIT_USAGE, "")
    assert err.startswith(f"reader: {target}: cannot be read (") and len(err.splitlines()) == 1
    assert not default_state_path().exists()


def test_state_needs_an_action(capsys):
    err = usage_error(capsys, "state")
    assert "reader state: error: the following arguments are required: ACTION" in err
    err = usage_error(capsys, "state", "import")
    assert "FILE" in err


def test_state_commands_do_not_need_the_library_folder(capsys, tmp_path, monkeypatch):
    config = tmp_path / "config.toml"
    config.write_text(f'library = "{tmp_path / "gone"}"\n')
    monkeypatch.setenv("READER_CONFIG", str(config))
    code, out, err = run(capsys, "state", "export")
    assert code == EXIT_OK and json.loads(out)["articles"] == {} and err == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_an_export_to_a_full_disk_says_so_and_fails(library):
    with StateStore(default_state_path()) as store:
        store.mark_read([f"https://news.example/{n}" for n in range(5000)])  # more than one buffer of output
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "reader", "state", "export"],
            cwd=REPO,
            stdout=full,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    assert result.returncode == EXIT_REJECTED
    assert b"Traceback" not in result.stderr and b"Exception ignored" not in result.stderr
    assert result.stderr.startswith(b"reader: the export could not be written (")
    assert len(result.stderr.splitlines()) == 1


# --- the state file: warnings, failures, closing --------------------------------------------------------


def test_a_damaged_state_file_is_said_once_and_marking_goes_on(capsys, library):
    path = default_state_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x00garbage that is not SQLite" * 100)
    code, out, err = run(capsys, "mark", "--read", "--library", str(library), AI_ONE)
    assert (code, out) == (EXIT_OK, "1 article marked read\n")
    assert len(err.splitlines()) == 1
    assert err.startswith(f"reader: The reading-state file {path} could not be read")
    assert "It was moved to " in err
    assert [p.name for p in path.parent.iterdir() if ".corrupt-" in p.name]  # moved aside, never deleted
    code, _, err = run(capsys, "list", str(library), "--json")
    assert err == ""
    assert read_ids(capsys, library) == {AI_ONE}


@pytest.fixture
def unwritable_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file where the data folder should be: the state file can be neither made nor written."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    return blocker


def test_marks_that_cannot_be_saved_are_not_said_to_be_made(capsys, library, unwritable_data_folder):
    code, out, err = run(capsys, "mark", "--read", "--library", str(library), AI_ONE)
    assert code == EXIT_REJECTED
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("reader: Reading state will not be saved this run: ")
    assert lines[1] == "reader: nothing was marked: the reading state cannot be saved"
    code, out, _ = run(capsys, "list", str(library), "--unread")  # reading still works
    assert code == EXIT_OK and out.rstrip().endswith("\n6 articles")


def test_an_import_that_cannot_be_saved_says_so(capsys, tmp_path, unwritable_data_folder):
    backup = tmp_path / "backup.json"
    backup.write_text(json.dumps({"format": "reader-news-state", "version": 1, "articles": {}}))
    code, out, err = run(capsys, "state", "import", str(backup))
    assert code == EXIT_REJECTED and out == ""
    assert err.splitlines()[-1] == "reader: nothing was imported: the reading state cannot be saved"


def test_a_mark_the_store_refuses_is_said_and_exits_1(capsys, library, monkeypatch):
    def refuse(self, ids, read=True, now=None):
        raise StateError("Reading state could not be saved (database or disk is full).")

    monkeypatch.setattr(StateStore, "mark_read", refuse)
    code, out, err = run(capsys, "mark", "--read", "--library", str(library), AI_ONE)
    assert (code, out) == (EXIT_REJECTED, "")
    assert err == "reader: Reading state could not be saved (database or disk is full).\n"


def test_every_command_closes_the_store_and_never_records_sightings_or_runs(capsys, library, tmp_path, monkeypatch):
    opened: list[StateStore] = []
    closed: list[StateStore] = []

    class Recorded(StateStore):
        def __init__(self, path):
            super().__init__(path)
            opened.append(self)

        def close(self):
            closed.append(self)
            super().close()

        def see(self, *args, **kwargs):
            raise AssertionError("only the app records sightings")

        def begin_run(self, *args, **kwargs):
            raise AssertionError("only the app records runs")

    monkeypatch.setattr(cli, "StateStore", Recorded)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}')
    commands = [
        ("mark", "--read", "--library", str(library), AI_ONE),
        ("mark", "--star", "--library", str(library), "--all"),
        ("list", str(library), "--json"),
        ("list", str(library), "--unread"),
        ("state", "export"),
        ("state", "import", str(bad)),
    ]
    for argv in commands:
        run(capsys, *argv)
    assert len(opened) == len(commands)
    assert closed == opened
    run(capsys, "list", str(library))  # the table without state filters does not need the store
    assert len(opened) == len(commands)
    assert all(article["first_seen"] is None for article in exported(capsys)["articles"].values())


# --- help --------------------------------------------------------------------------------------------------


def help_of(capsys, *argv: str) -> str:
    with pytest.raises(SystemExit) as stopped:
        main([*argv, "--help"])
    assert stopped.value.code == 0
    return capsys.readouterr().out


def test_help_lists_the_new_commands_and_options(capsys):
    out = help_of(capsys)
    commands = re.search(r"reader \{([a-z,]+)\} \[options\]", out)
    assert commands is not None and {"list", "check", "mark", "state"} <= set(commands.group(1).split(","))
    assert re.search(r"^  mark +mark articles read or unread, starred or not$", out, re.MULTILINE)
    assert re.search(r"^  state +export the reading state as JSON, or import an export$", out, re.MULTILINE)
    out = help_of(capsys, "list")
    for option in ("--unread", "--starred", "--json", "--topic", "--limit"):
        assert option in out
    out = help_of(capsys, "mark")
    assert out.startswith("usage: reader mark [-h] (--read | --unread | --star | --unstar)")
    for option in ("ARTICLE", "--topic", "--category", "--provider", "--before DATE", "--all", "--library PATH"):
        assert option in out
    out = help_of(capsys, "state")
    assert out.startswith("usage: reader state [-h] ACTION")
    assert "export" in out and "import" in out
    assert f"\n  {default_state_path()}\n" in out  # where the state lives, whole on its line
    assert help_of(capsys, "state", "import").startswith("usage: reader state import [-h] FILE")
    assert help_of(capsys, "state", "export").startswith("usage: reader state export [-h]")


# --- two processes at once ------------------------------------------------------------------------------------


def test_two_reader_marks_at_once_lose_nothing(library):
    # Two topics' worth of articles in the same packed chunk of the state: a lost
    # update would show as one topic's marks missing.
    for number in range(150):
        topic = "Alpha" if number % 2 else "Beta"
        write_article(library, f"many/{number:03}.md", front_matter(title=f'"Story {number}"', topics=f"[{topic}]"))

    def reader_mark(*args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "reader", "mark", "--read", "--no-cache", "--library", str(library), *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    first, second = reader_mark("--topic", "Alpha"), reader_mark("--topic", "Beta")
    for process in (first, second):
        out, err = process.communicate(timeout=120)
        assert process.returncode == EXIT_OK, err.decode()
        assert out == b"75 articles marked read\n"
    with StateStore(default_state_path()) as store:
        assert store.snapshot().read == {f"many/{number:03}.md" for number in range(150)}
