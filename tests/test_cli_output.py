"""What the command line writes: hostile file and folder names, encodings, and a reader that goes away."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import front_matter, write_article

from reader.cli import EXIT_BROKEN_PIPE, EXIT_NO_FOLDER, EXIT_OK, EXIT_REJECTED, main

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "data"
# Any C0 control but newline (which ends lines), DEL, C1, bidi and invisible format characters.
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
BROKEN = "---\ntitle: [unclosed\n---\n"

HOSTILE_NAMES = {
    "osc52": "\x1b]52;c;cm0gLXJmIH4K\x1b\\broken.md",  # writes `rm -rf ~` into the clipboard
    "osc0": "\x1b]0;owned\x07.md",  # sets the window title
    "csi": "\x1b[2Jclear.md",  # clears the screen
    "newline": "fake\nreader: all good.md",  # prints a fake line
    "bidi": "invoice\u202edm.txt",  # reads backwards
    "c1": "c1\x9b31m.md",  # CSI in its 8-bit form
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def reader(*args: str | bytes, env: dict[str, str] | None = None, **kwargs) -> subprocess.CompletedProcess[bytes]:
    """``python -m reader`` as a user runs it: bytes in and out, the given environment on top of the test's."""
    return subprocess.run(
        [sys.executable, "-m", "reader", *args],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
        **({"capture_output": True} | kwargs),
    )


# --- hostile names ----------------------------------------------------------------------------


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A library whose broken files and duplicates have hostile names, one folder of them hostile too."""
    root = tmp_path / "articles"
    for name in HOSTILE_NAMES.values():
        write_article(root, name, BROKEN)
    write_article(root, "\x1b]0;folder\x07/ok.md", front_matter(title="Fine", webUrl='"https://e.example/a"'))
    write_article(root, "\x1b[2Jcopy\n.md", front_matter(title="Copy", webUrl='"https://e.example/a"'))
    return root


def test_check_shows_hostile_names_escaped(capsys, hostile):
    code, out, err = run(capsys, "check", str(hostile))
    assert code == EXIT_REJECTED
    assert not CONTROL.search(out + err)
    lines = out.splitlines()
    assert len(lines) == len(HOSTILE_NAMES) + 2  # one a broken file, one the duplicate, the summary
    assert "\\e]52;c;cm0gLXJmIH4K\\e\\\\broken.md: " in out
    assert "\\e]0;owned\\x07.md: " in out
    assert "\\e[2Jclear.md: " in out
    assert "fake\\nreader: all good.md: " in out
    assert "invoice\\u202edm.txt: " in out
    assert "c1\\u009b31m.md: " in out
    assert any(
        line.endswith(("duplicate of \\e]0;folder\\x07/ok.md", "duplicate of \\e[2Jcopy\\n.md")) for line in lines
    )


def test_list_and_json_with_hostile_names(capsys, hostile):
    code, out, _ = run(capsys, "list", str(hostile))
    assert code == EXIT_OK
    assert not CONTROL.search(out)
    code, out, _ = run(capsys, "list", str(hostile), "--json")
    assert code == EXIT_OK
    assert not CONTROL.search(out)  # JSON escapes them itself...
    assert json.loads(out)[0]["path"] in ("\x1b]0;folder\x07/ok.md", "\x1b[2Jcopy\n.md")  # ... and keeps real strings


def test_a_hostile_folder_name_is_escaped_in_errors(capsys, tmp_path):
    folder = tmp_path / "\x1b]0;owned\x07\nreader: fine"
    for command in ("check", "list"):
        code, out, err = run(capsys, command, str(folder))
        assert code == EXIT_NO_FOLDER
        assert out == ""
        assert err == f"reader: {tmp_path}/\\e]0;owned\\x07\\nreader: fine: not a folder\n"


def test_a_hostile_config_path_is_escaped(capsys, tmp_path, monkeypatch):
    config = tmp_path / "\x1b[2J.toml"
    config.write_text("[")
    monkeypatch.setenv("READER_CONFIG", str(config))
    code, _, err = run(capsys, "check", str(SAMPLE))
    assert code == EXIT_NO_FOLDER
    assert not CONTROL.search(err)
    assert err.startswith(f"reader: {tmp_path}/\\e[2J.toml: ")


# --- names that are not UTF-8 -------------------------------------------------------------------


@pytest.fixture
def latin1(tmp_path: Path) -> Path:
    """café.md written in Latin-1 (and a broken one), in a folder whose own name is Latin-1."""
    root = tmp_path / os.fsdecode(b"r\xe9sum\xe9s")
    write_article(root, os.fsdecode(b"caf\xe9.md"), front_matter(title='"Caf\xe9 story"', topics="[Food]"))
    write_article(root, os.fsdecode(b"cass\xe9.md"), BROKEN)
    write_article(root, "back\\slash.md", front_matter(title="Backslash", topics="[Food]"))
    return root


def test_check_shows_bytes_that_are_not_utf8_as_hex(capsys, latin1):
    code, out, _ = run(capsys, "check", str(latin1), "--no-cache")
    assert code == EXIT_REJECTED
    assert out.splitlines()[0].startswith("cass\\xe9.md: ")
    out.encode("utf-8")  # no lone surrogate reached the output


def test_json_gives_such_a_path_escaped_and_says_so(capsys, latin1):
    code, out, _ = run(capsys, "list", str(latin1), "--json", "--no-cache", "--sort", "title")
    assert code == EXIT_OK
    rows = json.loads(out)
    assert [(r["path"], r.get("path_escaped", False)) for r in rows] == [
        ("back\\slash.md", False),  # valid UTF-8: the real string, backslash and all
        ("caf\\xe9.md", True),  # not UTF-8: the form `check` prints
    ]
    assert rows[1]["id"] == "caf\\xe9.md"


@pytest.mark.parametrize("encoding", ["utf-8:strict", "utf-8", "ascii", "latin-1"])
def test_json_is_valid_in_every_output_encoding(latin1, encoding):
    folder = os.fsencode(latin1)  # as the shell passes it: bytes that are not UTF-8
    result = reader("list", folder, "--json", "--no-cache", "--sort", "title", env={"PYTHONIOENCODING": encoding})
    assert result.returncode == EXIT_OK, result.stderr
    # The broken file is said once on stderr, in the asked encoding; nothing else is there.
    assert result.stderr == b"reader: 1 file could not be read (reader check names them)\n"
    rows = json.loads(result.stdout.decode("utf-8"))  # valid UTF-8, valid JSON
    assert [row["title"] for row in rows] == ["Backslash", "Café story"]
    assert rows[1]["path"] == "caf\\xe9.md"


@pytest.mark.parametrize("encoding", ["utf-8:strict", "ascii", "latin-1"])
def test_no_output_encoding_gives_a_traceback(latin1, encoding):
    # A folder argument that is not UTF-8 either: the shell passes bytes.
    folder = os.fsencode(latin1)
    for args in (["list", folder], ["check", folder], ["list", folder, "--topic", "Café"], ["check", folder + b"x"]):
        result = reader(*args, "--no-cache", env={"PYTHONIOENCODING": encoding})
        assert b"Traceback" not in result.stderr, result.stderr.decode("utf-8", "replace")
        assert result.returncode in (EXIT_OK, EXIT_REJECTED, EXIT_NO_FOLDER)
        assert result.stdout or result.stderr
        (result.stdout + result.stderr).decode(encoding.partition(":")[0])  # all of it in the asked encoding


# --- a reader of the output that goes away -----------------------------------------------------


def _closed_pipe_run(*args: str, stream: str = "stdout") -> subprocess.CompletedProcess[bytes]:
    """Run with stdout (or stderr) a pipe whose reading end is already closed: the first write fails."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        if stream == "stdout":
            return reader(*args, capture_output=False, stdout=write_end, stderr=subprocess.PIPE)
        return reader(*args, capture_output=False, stdout=subprocess.PIPE, stderr=write_end)
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    "args",
    [
        ["list", str(SAMPLE), "--no-cache"],
        ["list", str(SAMPLE), "--json", "--no-cache"],
        ["check", str(SAMPLE), "--no-cache"],
        ["--help"],
        ["list", "--help"],
        ["--version"],
    ],
)
def test_a_closed_pipe_ends_the_command_quietly(args):
    result = _closed_pipe_run(*args)
    assert result.stderr == b""  # no BrokenPipeError traceback, no "Exception ignored"
    if args[-1] in ("--help", "--version"):
        assert result.returncode in (EXIT_OK, EXIT_BROKEN_PIPE)  # argparse itself ignores the failed write
    else:
        assert result.returncode == EXIT_BROKEN_PIPE


def test_a_closed_pipe_on_stderr_ends_the_command_quietly(tmp_path):
    result = _closed_pipe_run("check", str(tmp_path / "missing"), stream="stderr")
    assert result.stdout == b""
    assert result.returncode == EXIT_BROKEN_PIPE


def test_head_reads_one_line_and_goes(tmp_path):
    # As `reader list --json | head -1`: more output than a pipe holds, so the reader must notice.
    root = tmp_path / "many"
    for number in range(400):
        write_article(root, f"{number:03}.md", front_matter(title=f'"Story {number}"', excerpt='"' + "x" * 400 + '"'))
    process = subprocess.Popen(
        [sys.executable, "-m", "reader", "list", str(root), "--json", "--no-cache"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline() == b"[\n"
    process.stdout.close()
    error = process.stderr.read()
    assert process.wait(timeout=60) == EXIT_BROKEN_PIPE
    assert error == b""
