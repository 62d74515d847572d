"""The reference engine: the executable specification of the clustered MDCD protocol.

Read it next to the paper: ``low`` is Figure 2, ``act`` Figure 3,
``sdw`` Figure 4, ``recovery`` the recovery text of Section 3.2,
``confidence`` the checkpointing rule S1/S2 of Section 3.1 with the
checkpoint arrays, logs and memory reclamation, ``common`` the primitives
all of them share (message consumption, "passed AT", the end of a run),
``oracle`` the ground truth, ``state`` the data, and ``engine`` the
event loop that plays one trace.  ``coordinated`` is the whole
``"coordinated"`` protocol, the other protocol family (docs/protocol.md,
section 2: the event loop plugs one family's handlers into a run once).
"""

from .engine import play_run, replay_reference

__all__ = ["play_run", "replay_reference"]
