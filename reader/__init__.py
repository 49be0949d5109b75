"""A fast, keyboard-first terminal reader for folders of Markdown news articles.

Data flows one way: files -> ``loading`` -> ``folder_loader`` (with ``cache``)
-> ``library`` -> the widgets. Nothing before the widgets imports Textual.
"""

__version__ = "0.1.0"
