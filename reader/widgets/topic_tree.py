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
from ..library import ALL, NEW, STARRED, UNREAD, Library, Marks, Node, NodeKind

TOPICS = Node(NodeKind.TOPICS)
CATEGORIES = Node(NodeKind.CATEGORIES)
PROVIDERS = Node(NodeKind.PROVIDERS)
SEARCHES = Node(NodeKind.SEARCHES)


def _label(name: str, count: int, unread: int | None = None) -> Text:
    """``name 150``, or ``name 12/150`` with the unread count; the counts are styled spans, the name is not."""
    # Text, never a str: Tree parses a str label as markup, and topic names are untrusted.
    label = Text(name)
    if unread:
        label.append(f" {unread:,}", style="bold")
        label.append(f"/{count:,}", style="dim")
    else:
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
        self._named: dict[Node, tuple[str, int]] = {}  # each node's name and count, to relabel with marks

    searches: tuple[tuple[str, str], ...] = ()  # saved searches (config.toml): a branch of their own

    def show_library(self, library: Library, chosen: Node, marks: Marks | None = None) -> None:
        """Rebuild the tree from a library, keeping open branches and the cursor.

        While the tree has focus, the cursor stays where the user put it (the
        library may be growing under them); otherwise it goes to the chosen node.
        """
        self._chosen = chosen
        here = self.cursor_node.data if self.has_focus and self.cursor_node is not None else None
        expanded = {n.data for n in self._all_nodes() if n.is_expanded and n.data is not None}
        first_build = not self.root.children
        self.clear()
        self._named = {}
        root = self.root
        self._add(root, "All articles", ALL, len(library))
        for node in (UNREAD, STARRED, NEW):
            self._named[node] = (node.label, 0)
            root.add_leaf(Text(node.label), data=node)
        if self.searches:
            saved = root.add(Text("Searches"), data=SEARCHES)
            for name, text in self.searches:
                node = Node(NodeKind.SEARCH, name, query=text)
                self._named[node] = (name, 0)
                saved.add_leaf(Text(name), data=node)
            if first_build or SEARCHES in expanded:
                saved.expand()
        topics = self._add(root, "Topics", TOPICS, len(library.topic_counts), leaf=False)
        for topic, count in library.topic_counts.items():
            self._add(topics, topic, Node(NodeKind.TOPIC, topic), count)
        if first_build or TOPICS in expanded:
            topics.expand()
        if library.grouped_by_category:
            categories = self._add(root, "Categories", CATEGORIES, len(library.category_counts), leaf=False)
            for category, total in library.category_counts.items():
                node = Node(NodeKind.CATEGORY, category)
                branch = self._add(categories, category or "(no category)", node, total, leaf=False)
                for topic, count in library.category_topic_counts.get(category, {}).items():
                    self._add(branch, topic, Node(NodeKind.TOPIC, topic, category), count)
                if node in expanded:
                    branch.expand()
            if CATEGORIES in expanded:
                categories.expand()
        providers = self._add(root, "Providers", PROVIDERS, len(library.provider_counts), leaf=False)
        for provider, count in library.provider_counts.items():
            self._add(providers, provider or "(unknown)", Node(NodeKind.PROVIDER, provider), count)
        if PROVIDERS in expanded:
            providers.expand()
        self.show_marks(library, marks)
        self.show_chosen(here or chosen)

    def _add(self, parent: TreeNode[Node], name: str, node: Node, count: int, leaf: bool = True) -> TreeNode[Node]:
        self._named[node] = (name, count)
        add = parent.add_leaf if leaf else parent.add
        return add(_label(name, count), data=node)

    def show_marks(self, library: Library, marks: Marks | None) -> None:
        """Counts with the reading state: ``AI 12/150`` (unread of all), and the Unread, Starred, New nodes."""
        unread = library.unread_counts(marks.read) if marks is not None else {}
        for tree_node in self._all_nodes():
            node = tree_node.data
            if node is None or node not in self._named:
                continue
            name, count = self._named[node]
            if NodeKind(node.kind).is_state or node.kind == NodeKind.SEARCH:
                # No count until the reading state is known (a moment after start).
                tree_node.set_label(_label(name, library.count_of(node, marks)) if marks is not None else Text(name))
            elif not NodeKind(node.kind).is_group and node in unread:
                tree_node.set_label(_label(name, count, unread[node]))

    def render_label(self, node: TreeNode[Node], base_style: Style, style: Style) -> Text:
        """The label cut to the room the pane has, so a long name never hides its count."""
        text = super().render_label(node, base_style, style)
        depth, parent = 0, node.parent
        while parent is not None and parent is not self.root:
            depth, parent = depth + 1, parent.parent
        room = self.scrollable_content_region.width - depth * self.guide_depth
        if room <= 0 or text.cell_len <= room:
            return text
        # The counts are the label's styled spans: the name before them gives way, with an ellipsis.
        label = node._label
        count_length = len(label.plain) - label.spans[0].start if label.spans else 0
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
