"""The reference engine: the executable specification of the clustered MDCD protocol.

Read it next to the paper: :mod:`.low` is Figure 2, :mod:`.act` Figure 3,
:mod:`.sdw` Figure 4, :mod:`.recovery` the recovery text of Section 3.2,
:mod:`.confidence` the checkpointing rule S1/S2 of Section 3.1 with the
checkpoint arrays, logs and memory reclamation, :mod:`.oracle` the ground truth,
and :mod:`.engine` the event loop that plays one trace.
"""

from .engine import play_run, replay_reference

__all__ = ["play_run", "replay_reference"]
