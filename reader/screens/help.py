"""The ``?`` screen: every key, read from the live bindings so remapped keys show as they are."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

Section = tuple[str, list[tuple[str, str]]]


# Sideways scrolling, inherited from ScrollView, does nothing in panes that never
# overflow sideways: listing it would only mislead.
_NOT_USEFUL = frozenset({"scroll_left", "scroll_right", "page_left", "page_right"})


def describe_bindings(bindings: Iterable[tuple[str, Binding]], key_display) -> list[tuple[str, str]]:
    """(keys, description) per action; several keys for one action are shown together."""
    grouped: dict[str, tuple[str, list[str]]] = {}
    for key, binding in bindings:
        if binding.system or not binding.description or binding.action in _NOT_USEFUL:
            continue
        shown = binding.key_display or key_display(key)
        # One line per action, whichever binding named it first (Tree's "down"
        # says "Cursor Down", our "j" says "Down": both are the same key).
        _, keys = grouped.setdefault(binding.action, (binding.description, []))
        if shown not in keys:
            keys.append(shown)
    return [(" ".join(keys), description) for description, keys in grouped.values()]


class HelpScreen(ModalScreen[None]):
    """Keys, by the pane they work in."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
    ]

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box") as box:
            box.border_title = "Keys"
            box.border_subtitle = "Esc to close"
            for title, rows in self.sections:
                yield Static(Content(title), classes="help-section")
                width = max((len(keys) for keys, _ in rows), default=0)
                lines = [
                    Content.assemble((keys.ljust(width + 2), "bold $accent"), description) for keys, description in rows
                ]
                yield Static(Content("\n").join(lines), classes="help-keys")
