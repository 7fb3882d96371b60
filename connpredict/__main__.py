"""``python -m connpredict``: the ``connpredict`` command."""

import sys

from connpredict.cli import console_main

if __name__ == "__main__":
    sys.exit(console_main())
