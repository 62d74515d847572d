"""Colours and marker styles of the space-time diagram (``mdcd_lab.plots.spacetime``).

``SPACETIME_COLORS`` names the colour of each element (Okabe-Ito, from
``mdcd_lab.plots.style``); ``_MARKS`` and ``_CKPT_STYLE`` give the legend
label and the matplotlib marker style of each point event and checkpoint rule;
``_halo`` is the red glow of an erroneous message.
"""

from __future__ import annotations

from typing import Any

from matplotlib import patheffects

from .style import OKABE_ITO

__all__ = ["SPACETIME_COLORS"]

_O = OKABE_ITO
#: Colours of the diagram's elements.
SPACETIME_COLORS: dict[str, str] = {
    "clean_msg": _O["blue"],
    "dirty_msg": _O["orange"],
    "error": _O["vermillion"],
    "dirty_proc": _O["orange"],
    "process": "#4D4D4D",
    "at_pass": _O["bluish_green"],
    "at_fail": _O["vermillion"],
    "notify": _O["bluish_green"],
    "reclaim": _O["bluish_green"],
    "recovery": _O["reddish_purple"],
    "log": "#8C8C8C",
    "twin": "#8C8C8C",
    "reclaimed_ckpt": "#A6A6A6",
}

_C = SPACETIME_COLORS
_MARKS = {          # event -> (legend label, Line2D style)
    "fault": ("fault", dict(marker="*", color=_C["error"], markersize=8,
                                       markeredgewidth=0.4, markeredgecolor="black")),
    "at_pass": ("AT passed", dict(marker="^", color=_C["at_pass"], markersize=4.5,
                                            markeredgewidth=0.4, markeredgecolor="black")),
    "at_fail": ("AT failed", dict(marker="v", color=_C["at_fail"], markersize=5,
                                  markeredgewidth=0.4, markeredgecolor="black")),
    "compensated": ("compensated", dict(marker="P", color="white", markersize=5,
                                              markeredgewidth=0.8,
                                              markeredgecolor=_C["at_pass"])),
    "failure": ("failure (bad output)", dict(marker="X", color="black",
                                                        markersize=7)),
    "output": ("output (no AT)", dict(marker="o", color="white", markersize=3,
                                         markeredgewidth=0.6, markeredgecolor="#4D4D4D")),
    "log_ext": ("shadow output (held)", dict(marker="x", color=_C["twin"], markersize=3.5,
                                                 markeredgewidth=0.8)),
    "reclaim": ("reclamation", dict(marker="|", color=_C["reclaim"], markersize=7,
                                    markeredgewidth=1.3)),
    "notice": ("recovery notice", dict(marker=">", color="white", markersize=4.5,
                                       markeredgewidth=0.9, markeredgecolor=_C["recovery"])),
    "release": ("release (two-phase)", dict(marker="D", color=_C["recovery"], markersize=3.5,
                                            markeredgewidth=0.4, markeredgecolor="black")),
    "discard": ("dropped at recovery (D4)", dict(marker="x", color=_C["recovery"],
                                                 markersize=4, markeredgewidth=1.0)),
}
_CKPT_STYLE = {
    "S1": ("S1 ckpt", dict(marker="s", color="black", markersize=3.8,
                                 markeredgewidth=0.6, markeredgecolor="black")),
    "S2": ("S2 ckpt", dict(marker="s", color="white", markersize=3.8,
                                 markeredgewidth=0.9, markeredgecolor="black")),
    "line": ("coordinated ckpt", dict(marker="|", color="black", markersize=8,
                                            markeredgewidth=1.3)),
}


def _halo() -> list[Any]:
    return [patheffects.Stroke(linewidth=2.6, foreground=_C["error"], alpha=0.4),
            patheffects.Normal()]
