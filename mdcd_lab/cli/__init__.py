"""The ``mdcd-lab`` command line (docs/cli.md).

- ``main``: the parser and the commands ``simulate``,
  ``sweep``, ``summarize``, ``figures``, ``demo``;
- ``run``: ``mdcd-lab run SPEC.toml`` (resumable batches);
- ``duration``: ``mdcd-lab duration``;
- ``explore``: ``mdcd-lab explore``;
- ``specs``: the TOML scenario and study files.
"""

from .main import COMPILING, build_parser, main

__all__ = ["main", "build_parser", "COMPILING"]
