"""``python -m mdcd_lab.cli``: the ``mdcd-lab`` command."""

import sys

from .main import main

sys.exit(main())
