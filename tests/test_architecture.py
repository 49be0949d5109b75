"""The data layer imports nothing from Textual: it can be tested alone and reused by the CLI."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "reader"
DATA_MODULES = [
    "reader.text",
    "reader.model",
    "reader.loading",
    "reader.library",
    "reader.cache",
    "reader.folder_loader",
    "reader.cli",
    "reader.config",
    "reader.format",
    "reader.links",
]
# The UI layer: the App, its screens and widgets, and the modules that serve
# only them (the command table, the messages, the session that runs workers,
# opening links from the app). Everything else is the data layer.
UI_PARTS = {"app.py", "widgets", "screens", "commands.py", "messages.py", "session.py", "browser.py"}


def data_layer_files() -> list[Path]:
    files = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in UI_PARTS:
            continue
        files.append(path)
    return files


def imported_modules(tree: ast.AST, *, top_level_only: bool = False) -> list[tuple[str, int]]:
    """(module, level) for each import; with top_level_only, imports inside functions are left out."""
    found = []
    nodes = ast.iter_child_nodes(tree) if top_level_only else ast.walk(tree)
    for node in nodes:
        if top_level_only and isinstance(node, (ast.If, ast.Try)):
            found += imported_modules(node, top_level_only=True)
        if isinstance(node, ast.Import):
            found += [(alias.name, 0) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.module is None:  # from . import x
                found += [(alias.name, node.level) for alias in node.names]
            else:
                found.append((node.module, node.level))
    return found


def test_importing_the_data_layer_does_not_import_textual():
    code = (
        "import json, sys\n"
        f"for name in {DATA_MODULES!r}:\n"
        "    __import__(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=PACKAGE.parent, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_the_scan_sees_the_data_layer():
    names = {str(p.relative_to(PACKAGE)) for p in data_layer_files()}
    assert {
        "text.py",
        "model.py",
        "loading.py",
        "library.py",
        "cache.py",
        "folder_loader.py",
        "cli.py",
        "config.py",
    } <= names
    assert "app.py" not in names


def test_no_data_layer_file_imports_textual():
    offenders = []
    for path in data_layer_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for module, level in imported_modules(tree):
            if level == 0 and (module == "textual" or module.startswith("textual.")):
                offenders.append(f"{path.relative_to(PACKAGE)}: {module}")
    assert offenders == []


def test_no_data_layer_file_imports_the_ui_at_module_level():
    # cli.py may import the app inside the command that runs it, never when imported.
    offenders = []
    for path in data_layer_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for module, level in imported_modules(tree, top_level_only=True):
            name = module.split(".")[0] if level else module.removeprefix("reader.").split(".")[0]
            if (level or module.startswith("reader.")) and name in ("app", "widgets", "screens"):
                offenders.append(f"{path.relative_to(PACKAGE)}: {'.' * level}{module}")
    assert offenders == []


def test_the_scan_would_notice_a_textual_import():
    tree = ast.parse("def f():\n    from textual.app import App\nimport textual\n")
    assert sorted(m for m, _ in imported_modules(tree)) == ["textual", "textual.app"]
    assert [m for m, _ in imported_modules(tree, top_level_only=True)] == ["textual"]


def test_the_readme_names_every_command_id() -> None:
    """The README's key table is where users find the ids a keymap can name."""
    from reader.commands import COMMANDS

    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    missing = [command.id for command in COMMANDS if f"`{command.id}`" not in readme]
    assert not missing, missing


def test_the_readme_lists_every_module() -> None:
    readme = (PACKAGE.parent / "README.md").read_text(encoding="utf-8")
    modules = [p.name for p in PACKAGE.glob("*.py") if not p.name.startswith("__")]
    missing = [name for name in modules if name not in readme]
    assert not missing, missing
