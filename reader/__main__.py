"""``python -m reader``: the same as the ``reader`` command."""

import sys

from .cli import main

if __name__ == "__main__":  # parsing processes are spawned and import this module
    sys.exit(main())
