"""``python -m titlerules``: the same as the ``titlerules`` command."""

import sys

from .cli import main

sys.exit(main())
