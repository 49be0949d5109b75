"""The topic tree: All articles, then every topic, then categories and providers.

"All AI stories" is what people look for first: one merged Topics branch
comes first and open; categories (each with its own topics) and providers
follow, closed, each with counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ..commands import Scope, bindings
from ..library import ALL, Library, Node, NodeKind


TOPICS = Node(NodeKind.TOPICS)
CATEGORIES = Node(NodeKind.CATEGORIES)
PROVIDERS = Node(NodeKind.PROVIDERS)


def _label(name: str, count: int) -> Text:
    # Text, never a str: Tree parses a str label as markup, and topic names are untrusted.
    label = Text(name)
    label.append(f" {count:,}", style="dim")
    return label


class TopicTree(Tree[Node]):
    """Chooses which articles the list shows."""

    BINDINGS = bindings(Scope.TREE)

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
        topics = root.add(_label("Topics", len(library.topic_counts)), data=TOPICS)
        for topic, count in library.topic_counts.items():
            topics.add_leaf(_label(topic, count), data=Node(NodeKind.TOPIC, topic))
        if first_build or TOPICS in expanded:
            topics.expand()
        if library.grouped_by_category:
            categories = root.add(_label("Categories", len(library.category_counts)), data=CATEGORIES)
            for category, total in library.category_counts.items():
                node = Node(NodeKind.CATEGORY, category)
                branch = categories.add(_label(category or "(no category)", total), data=node)
                for topic, count in library.category_topic_counts.get(category, {}).items():
                    branch.add_leaf(_label(topic, count), data=Node(NodeKind.TOPIC, topic, category))
                if node in expanded:
                    branch.expand()
            if CATEGORIES in expanded:
                categories.expand()
        providers = root.add(_label("Providers", len(library.provider_counts)), data=PROVIDERS)
        for provider, count in library.provider_counts.items():
            providers.add_leaf(_label(provider or "(unknown)", count), data=Node(NodeKind.PROVIDER, provider))
        if PROVIDERS in expanded:
            providers.expand()
        self.show_chosen(here or chosen)

    def render_label(self, node: TreeNode[Node], base_style: Style, style: Style) -> Text:
        """The label cut to the room the pane has, so a long name never hides its count."""
        text = super().render_label(node, base_style, style)
        depth, parent = 0, node.parent
        while parent is not None and parent is not self.root:
            depth, parent = depth + 1, parent.parent
        room = self.scrollable_content_region.width - depth * self.guide_depth
        if room <= 0 or text.cell_len <= room:
            return text
        # The count is the label's last span: the name before it gives way, with an ellipsis.
        label = node._label
        count_length = len(label.plain) - label.spans[-1].start if label.spans else 0
        split = len(text.plain) - count_length
        name, count = text[:split], text[split:]
        name.truncate(max(name.cell_len - (text.cell_len - room), 1), overflow="ellipsis")
        return Text.assemble(name, count)

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
        # "Topics", "Categories" and "Providers" only group; choosing them opens or closes them.
        if node is None or NodeKind(node.kind).is_group:
            event.node.toggle()
            return
        event.node.expand()
        self._chosen = node
        self.post_message(self.NodeChosen(self, node))
