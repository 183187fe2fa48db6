"""``python -m bonkl_fast.cli``: the ``bonkl`` command."""

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
