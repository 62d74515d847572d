"""The ``mdcd-lab`` command line (docs/cli.md).

- ``main``: the parser and the commands ``sweep``,
  ``trace``, ``summarize``, ``demo`` (and ``figures`` from ``figures``);
- ``run``: ``mdcd-lab run SPEC.toml`` (resumable batches);
- ``tools``: ``mdcd-lab plot-sweep`` and ``mdcd-lab replay``;
- ``duration``: ``mdcd-lab duration``;
- ``explore``: ``mdcd-lab explore``;
- ``specs``: the TOML scenario and study files.
"""

from .main import COMPILING, build_parser, main

__all__ = ["main", "build_parser", "COMPILING"]
