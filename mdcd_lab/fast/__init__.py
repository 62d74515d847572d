"""The numba batch engine: the reference engine's numbers, 10^7 runs at a time.

* ``simulate_numba`` generates and plays runs entirely inside compiled
  kernels (per-run seeding, trace generation, protocol, oracle), in chunks, on
  all of numba's threads;
* ``replay_numba`` plays a given trace;
* ``generate_traces_numba`` returns the traces the kernel generates (equal
  to [`mdcd_lab.generate_traces`][mdcd_lab.traces.generate_traces]).

Results are identical to ``engine="reference"`` (``docs/scaling.md``).  The
compiled code lives in the package ``mdcd_lab.fast.kernels``, one module per
module of ``reference/`` plus ``rng`` (SeedSequence and PCG64), ``gen`` (trace
generation), ``layout`` (parameter slots and the state arenas) and ``drivers``
(threads and buffers); compile options are in ``_config``; ``_rng`` is the
Python side of the RNG.
"""

from .engine import generate_traces_numba, replay_numba, scenario_params, simulate_numba

__all__ = ["simulate_numba", "replay_numba", "generate_traces_numba", "scenario_params"]
