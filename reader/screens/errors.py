"""The ``e`` screen: the files that could not be read, each with its reason."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from ..library import Library
from ..text import counted, escape_line, escape_name

# A DataTable builds every row; past this many the screen says how many more.
MAX_ROWS = 5_000


class ErrorsScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,e", "dismiss", "Close", id="errors.close")]

    def __init__(self, library: Library) -> None:
        super().__init__()
        self.library = library

    def compose(self) -> ComposeResult:
        library = self.library
        with Vertical(id="errors-box") as box:
            box.border_title = "Files not loaded"
            box.border_subtitle = "Esc to close"
            yield Static(
                Content(
                    f"{len(library.errors):,} unreadable, {counted(len(library.duplicates), 'duplicate')}, "
                    f"{counted(len(library.skipped), 'other file')} skipped"
                ),
                id="errors-summary",
            )
            yield DataTable(id="errors-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("File", "Reason")
        # Names are escaped (as `ls -b` does): a file name can carry escape sequences.
        rows = [(escape_name(e.path), escape_line(e.reason)) for e in self.library.errors]
        rows += [(escape_name(d.path), f"duplicate of {escape_name(d.kept)}") for d in self.library.duplicates]
        rows += [(escape_name(s.path), f"skipped: {escape_line(s.reason)}") for s in self.library.skipped]
        # Text, not str: a DataTable cell given a str is parsed as markup.
        table.add_rows([(Text(path), Text(reason)) for path, reason in rows[:MAX_ROWS]])
        if len(rows) > MAX_ROWS:
            table.add_row(Text(f"… and {len(rows) - MAX_ROWS:,} more"), Text("run `reader check` for all"))
        if not rows:
            table.add_row(Text("Every file loaded."), Text(""))
        table.focus()
