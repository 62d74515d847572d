"""mdcd_lab: simulate, measure and picture the clustered MDCD protocol.

Public API: [`Scenario`][mdcd_lab.scenario.Scenario],
[`generate_traces`][mdcd_lab.traces.generate_traces],
[`trace_from_rows`][mdcd_lab.traces.trace_from_rows], [`replay`][mdcd_lab.api.replay],
[`simulate`][mdcd_lab.api.simulate], [`run_events`][mdcd_lab.api.run_events],
[`sweep`][mdcd_lab.studies.sweep.sweep], [`sample`][mdcd_lab.studies.sample],
[`explore`][mdcd_lab.exploration.explore], [`summarize`][mdcd_lab.stats.summarize],
[`paired_differences`][mdcd_lab.stats.paired_differences], [`to_csv`][mdcd_lab.io.to_csv],
[`to_parquet`][mdcd_lab.io.to_parquet], [`load_results`][mdcd_lab.io.load_results],
[`worth`][mdcd_lab.performability.worth.worth], [`Costs`][mdcd_lab.performability.Costs],
[`duration_study`][mdcd_lab.performability.duration_study] and
[`load_duration`][mdcd_lab.performability.load_duration] (docs/performability.md); plots in
[`mdcd_lab.plots`][mdcd_lab.plots], explorers in [`mdcd_lab.widgets`][mdcd_lab.widgets], the figure
set in [`mdcd_lab.figures`][mdcd_lab.figures].

The names are imported on first use (``mdcd_lab.simulate`` imports
[`mdcd_lab.api`][mdcd_lab.api]), so that ``import mdcd_lab`` and the ``mdcd-lab`` command start
at once: the command's own error handling then covers the imports of numpy, pandas
and numba (Ctrl-C while they load ends in one line, docs/cli.md).
"""

from importlib import import_module
from importlib.util import find_spec
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:   # the same names, for readers of the source (the API pages, type checkers)
    from .api import replay, run_events, simulate
    from .exploration import Scope, explore
    from .io import load_results, to_csv, to_parquet
    from .performability import Costs, DurationStudy, duration_study, load_duration, worth
    from .protocols import protocol_names, variant_names
    from .scenario import FIELDS, Scenario
    from .stats import paired_differences, summarize
    from .studies import expand_grid, point_seed, sample, sweep, sweep_status
    from .traces import generate_traces, trace_from_rows, validate_trace

__version__ = "0.1.0"

#: Where each public name is defined: ``mdcd_lab.<module>``.
_EXPORTS = {
    "replay": "api", "run_events": "api", "simulate": "api",
    "Scope": "exploration", "explore": "exploration",
    "load_results": "io", "to_csv": "io", "to_parquet": "io",
    "Costs": "performability", "DurationStudy": "performability",
    "duration_study": "performability", "worth": "performability",
    "load_duration": "performability",
    "protocol_names": "protocols", "variant_names": "protocols",
    "FIELDS": "scenario", "Scenario": "scenario",
    "paired_differences": "stats", "summarize": "stats",
    "expand_grid": "studies", "point_seed": "studies", "sample": "studies",
    "sweep": "studies", "sweep_status": "studies",
    "generate_traces": "traces", "trace_from_rows": "traces", "validate_trace": "traces",
}

__all__ = ["Scenario", "FIELDS", "generate_traces", "trace_from_rows", "validate_trace",
           "replay", "simulate", "run_events", "protocol_names", "variant_names", "sweep",
           "sweep_status",
           "expand_grid", "sample", "point_seed", "summarize", "paired_differences", "to_csv",
           "to_parquet", "load_results", "explore", "Scope", "worth", "Costs", "duration_study",
           "DurationStudy", "load_duration", "__version__"]


def __getattr__(name: str) -> Any:
    """Import a public name, or a subpackage such as ``mdcd_lab.plots``, on first use
    (PEP 562)."""
    module = _EXPORTS.get(name)
    if module is None:
        if name.startswith("_") or find_spec(f"{__name__}.{name}") is None:
            raise AttributeError(f"module 'mdcd_lab' has no attribute {name!r}")
        value = import_module(f".{name}", __name__)
        globals()[name] = value
        return value
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
