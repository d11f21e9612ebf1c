"""The bundle's entry point: the same `onair` command as the installed console script."""

import sys

from onair_cli import main

if __name__ == "__main__":
    sys.exit(main())
