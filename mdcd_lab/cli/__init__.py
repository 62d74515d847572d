"""The ``mdcd-lab`` command line (docs/cli.md).

- :mod:`~mdcd_lab.cli.main`: the parser and the commands ``sweep``,
  ``trace``, ``summarize``, ``demo`` (and ``figures`` from :mod:`~mdcd_lab.cli.figures`);
- :mod:`~mdcd_lab.cli.run`: ``mdcd-lab run SPEC.toml`` (resumable batches);
- :mod:`~mdcd_lab.cli.tools`: ``mdcd-lab plot-sweep`` and ``mdcd-lab replay``;
- :mod:`~mdcd_lab.cli.duration`: ``mdcd-lab duration``;
- :mod:`~mdcd_lab.cli.explore`: ``mdcd-lab explore``;
- :mod:`~mdcd_lab.cli.specs`: the TOML scenario and study files.
"""

from .main import COMPILING, build_parser, main

__all__ = ["main", "build_parser", "COMPILING"]
