"""The topic tree: All articles, topics (by category when there are several), providers."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..library import ALL, Library, Node


def _label(name: str, count: int) -> Text:
    # Text, never a str: Tree parses a str label as markup, and topic names are untrusted.
    label = Text(name)
    label.append(f" {count:,}", style="dim")
    return label


class TopicTree(Tree[Node]):
    """Chooses which articles the list shows."""

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="tree.down"),
        Binding("k", "cursor_up", "Up", show=False, id="tree.up"),
        Binding("home,g", "scroll_home", "First", show=False, id="tree.first"),
        Binding("end,G", "scroll_end", "Last", show=False, id="tree.last"),
        Binding("enter", "select_cursor", "Show its articles", show=False, id="tree.choose"),
    ]

    @dataclass
    class NodeChosen(Message):
        """The user chose a node: the list should show its articles."""

        topic_tree: TopicTree
        node: Node

        @property
        def control(self) -> TopicTree:
            return self.topic_tree

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("Library", data=None, id=id)
        self.show_root = False
        self.guide_depth = 2
        # Choosing a category shows its articles; it should not also fold it away.
        self.auto_expand = False
        self._chosen: Node = ALL

    def show_library(self, library: Library, chosen: Node) -> None:
        """Rebuild the tree from a library, keeping open branches and the cursor.

        While the tree has focus, the cursor stays where the user put it (the
        library may be growing under them); otherwise it goes to the chosen node.
        """
        self._chosen = chosen
        here = self.cursor_node.data if self.has_focus and self.cursor_node is not None else None
        expanded = {n.data for n in self._all_nodes() if n.is_expanded and n.data is not None}
        first_build = not self.root.children
        self.clear()
        root = self.root
        root.add_leaf(_label("All articles", len(library)), data=ALL)
        if library.grouped_by_category:
            for category, total in library.category_counts.items():
                branch = root.add(_label(category or "(no category)", total), data=Node("category", category))
                for topic, count in library.category_topic_counts.get(category, {}).items():
                    branch.add_leaf(_label(topic, count), data=Node("topic", topic, category))
                if branch.data in expanded or first_build:
                    branch.expand()
        topics = root.add(_label("Topics", len(library.topic_counts)), data=Node("topics"))
        for topic, count in library.topic_counts.items():
            topics.add_leaf(_label(topic, count), data=Node("topic", topic))
        if Node("topics") in expanded or (first_build and not library.grouped_by_category):
            topics.expand()
        providers = root.add(_label("Providers", len(library.provider_counts)), data=Node("providers"))
        for provider, count in library.provider_counts.items():
            providers.add_leaf(_label(provider or "(unknown)", count), data=Node("provider", provider))
        if Node("providers") in expanded:
            providers.expand()
        self.show_chosen(here or chosen)

    def _all_nodes(self) -> list[TreeNode[Node]]:
        found, stack = [], list(self.root.children)
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(node.children)
        return found

    def show_chosen(self, wanted: Node) -> None:
        """Move the cursor to a node (opening its branch), without choosing it."""
        for node in self._all_nodes():
            if node.data == wanted:
                parent = node.parent
                while parent is not None:
                    parent.expand()
                    parent = parent.parent
                self.call_after_refresh(self.move_cursor, node)
                return

    def on_tree_node_selected(self, event: Tree.NodeSelected[Node]) -> None:
        event.stop()
        node = event.node.data
        # "Topics" and "Providers" only group; choosing them opens or closes them.
        if node is None or node.kind in ("topics", "providers"):
            event.node.toggle()
            return
        event.node.expand()
        self._chosen = node
        self.post_message(self.NodeChosen(self, node))
