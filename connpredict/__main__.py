"""``python -m connpredict``: the ``connpredict`` command."""

import sys

from connpredict.cli import main

if __name__ == "__main__":
    sys.exit(main())
