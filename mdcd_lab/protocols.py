"""Protocol variants: the rule switches both engines read.

``"mdcd-paper"`` is the most charitable literal reading of Figures 2-4 and the
recovery text of Section 3.2 (where the text admits several readings, the one
under which the paper is right); ``"mdcd"`` adds the corrections that the oracle
and the exhaustive exploration show to be needed (docs/protocol.md, "Findings"
and "The correction").  Each switch is one interpretation decision; the docs
name them by these attribute names.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

__all__ = ["Rules", "PROTOCOLS", "VARIANTS", "READINGS", "get_rules", "protocol_names",
           "variant_names", "CORRECTIONS", "MDCD_CORRECTIONS", "SOUND_IN_SCOPES",
           "correction_combinations", "DEFAULT_PAIR"]

#: The five switches of the correction space (docs/protocol.md, section 6), by
#: letter, in the order the letters are written: R L C S E.  Each is off in the
#: paper's reading (``"mdcd-paper"``).
CORRECTIONS: dict[str, str] = {"R": "reclaim_by_interval", "L": "log_all_when_dirty",
                               "C": "coordinated_recovery", "S": "suppress_redone_outputs",
                               "E": "s2_every_level"}

#: The corrections ``"mdcd"`` ships on top of the paper's reading (docs/protocol.md,
#: "The correction"): every other named protocol but ``"mdcd-paper"`` builds on them.
MDCD_CORRECTIONS = "RLCS"


@dataclass(frozen=True)
class Rules:
    """Interpretation switches of the clustered MDCD protocol.

    Attributes
    ----------
    name : str
        Protocol name as used by ``simulate(protocol=...)``.
    reclaim_by_interval : bool
        ``memory_reclamation(V)``: ``False`` deletes checkpoints and log entries
        whose index is ``<= V`` (Figure 3's text); ``True`` deletes the leading
        checkpoints whose *interval* (up to the next checkpoint, or now) absorbed
        only levels ``<= V``, with the log entries of those intervals.
    prgt_out_on_low_send : bool
        "Propagating out" (Figure 3): ``False`` sets ``prgt_bit`` only on sends to
        G_act (literal "receiver(m) in G_high" with G_high = G_act u G_sdw, and
        act processes address shadows only through G_low); ``True`` also on sends
        to G_low, whose copy reaches the twin shadow, a G_high process.
    log_all_when_dirty : bool
        Receiver-side logging: ``False`` logs a message only when it comes from a
        clean sender to a dirty receiver (Section 3.1); ``True`` logs every message
        a dirty process consumes, including the one that triggers a checkpoint,
        and replays at recovery only those whose piggybacked level is validated.
    coordinated_recovery : bool
        ``error_recovery``: ``False`` lets each process use the validation it has
        received (shadows their ``ivr_low``); ``True`` first distributes the
        highest level validated by any passed AT so far (``V*``) and the number of
        cluster outputs the device has, and every process reclaims with them
        before rolling back.  Matters only when notifications are delayed.
    outputs_by_count : bool
        External messages of the cluster: ``False`` indexes a shadow's
        ``ext_msg_log`` by ``int_mSN_G_sdw`` and reclaims and re-sends it by
        ``ivr_low`` (Figure 4 as printed); ``True`` numbers them by a cluster
        output count (``ext_mSN``, the unreadable ``m.ext_mSN_G_low`` of Figure 4)
        that "passed AT" notifications of G_low carry.
    suppress_redone_outputs : bool
        A rolled-back G_act process suppresses the external messages it
        regenerates that the device already has (an output counter kept outside
        the checkpointed state); otherwise they reach the device twice.
    checkpoint_every_receive : bool
        ``"every-receive"``: checkpoint before every application message receipt
        (no confidence in the checkpointing decision; ATs and validation as in
        MDCD).  After each receipt the checkpoints whose intervals are already
        validated are dropped, so ``dirty_bit`` keeps its meaning.
    s2_checkpoints : bool
        Rule S2 exists.  ``False`` (``"static"``): one checkpoint per dirty period,
        taken when a clean process receives any message from a potentially
        contaminated sender; the process stays dirty until a "passed AT" covers
        every level it absorbed.
    dedup_regenerated : bool
        Recovery re-executes a rolled-back process deterministically from its
        checkpoint through the replayed messages, and receivers discard the
        regenerated sends they already have (per-channel sequence numbers), so a
        send made before the first message that is not replayed survives.  Needed
        by ``"static"``, whose coarse checkpoints would otherwise orphan messages.
    ckpt_index_by_trigger : bool
        Index of a new checkpoint: ``True`` (both MDCD readings) the piggybacked
        ``int_mSN_G_low`` of the message that triggers it, the level the checkpoint
        guards against; ``False`` the local level before the trigger (the old
        decision D1 of docs/protocol.md, under which Figure 3's reclamation "except
        those whose index values are greater than m.int_mSN_G_low" deletes a
        checkpoint that still guards an unvalidated level).
    reclaim_validated_twins : bool
        ``True``: a shadow logs only unvalidated twins (Figure 4's logs hold what
        "passed AT" notifications have not reclaimed): a twin whose number is
        already validated when the shadow generates it (shadow lag) is reclaimed at
        once.  ``False`` keeps it in the log, and the takeover re-sends it.
    s2_every_level : bool
        A correction that competes with ``reclaim_by_interval`` and
        ``log_all_when_dirty``: rule S2 without its conditions 1) and 2), i.e. a
        dirty process checkpoints before absorbing *any* level above its own, so
        every checkpoint interval absorbs one level (more checkpoints, less log;
        docs/protocol.md, section 6).
    coordinated_ckpt : bool
        ``"coordinated"``: periodic coordinated checkpoints of all G_act and G_sdw
        processes every ``coord_period`` with their channel state, instead of
        confidence-driven checkpoints and logs (``reference/coordinated.py``).
    unclustered : bool
        ``"mdcd-unclustered"``: only ``low0`` (the upgraded component) is low
        confidence; the other ``G_low`` processes (its interface partners) run as
        high-confidence processes with Figure 3's rules and no shadows, and the
        new-interface messages between ``low0`` and them cross the boundary.
    unguarded : bool
        ``"unguarded"``: no guarded operation at all (phi = 0): the new version
        serves from time 0 under the unguarded rules of docs/performability.md
        (ground truth only; the first erroneous external message fails the run).
        It gives the degradation ``D_0`` of the performability index ``Y``.
    per_member_validation : bool
        ``"mdcd-vector"``: each cluster member numbers its own messages to G_act
        and a level is a vector with one counter per member
        (``mdcd_lab.reference.levels``); a passed AT of ``low_i`` validates
        only what ``low_i``'s correct state vouches for (its own messages and
        the member counts that reached it), so the protocol stays sound when a
        fault contaminates one member (``fault_scope="process"``;
        docs/protocol.md, section 8).
    notify_fifo : bool
        A reading (R1): on a FIFO channel (``Scenario.channel == "fifo"``) a "passed
        AT" notification (and, under executed recovery, the recovery notice) from
        ``P`` to ``q`` keeps its place among ``P``'s application messages to ``q``:
        it arrives after those sent before it and before those sent after it.
        ``False`` is the former decision D10 (a control channel that overtakes).
    aware_of_validated : bool
        A reading (R2) of Section 3.1: G_act and G_sdw processes "keep track of
        the sequence number of the latest received message from G_low and be aware
        of the sequence number of the latest message from G_low that is
        validated": a message whose level is already validated triggers neither S1
        nor S2.
    drain_notifications : bool
        A reading (R3): before a process recovers it applies the "passed AT"
        notifications sent to it before the error was detected (in flight at
        detection).  With it, correction C adds nothing under atomic recovery.
    twins_in_member_order : bool
        A reading (R4): a shadow is its member's old version computing on the same
        inputs in the same order, so it makes the twin of its member's ``k``-th
        message to G_act or output before it consumes an input its member consumed
        after that event, and not before its member made the event (a trace's twin
        row out of that order is played in order).
    recovery_barrier : bool
        Under executed recovery with ``coordinated_recovery``: the recovery is
        two-phase (every process stops at the notice; once all have stopped, a
        release with the highest validated level reaches them all), which is how
        "distributes the highest validated level" is executed.  ``False``: each
        process recovers at its notice with the level validated at detection (a
        one-shot distribution; docs/protocol.md, section 9).
    """

    name: str
    # the paper's most charitable reading (``"mdcd-paper"``) is every default
    reclaim_by_interval: bool = False
    prgt_out_on_low_send: bool = True
    log_all_when_dirty: bool = False
    coordinated_recovery: bool = False
    outputs_by_count: bool = True
    suppress_redone_outputs: bool = False
    checkpoint_every_receive: bool = False
    s2_checkpoints: bool = True
    dedup_regenerated: bool = False
    unclustered: bool = False
    coordinated_ckpt: bool = False
    unguarded: bool = False
    ckpt_index_by_trigger: bool = True
    reclaim_validated_twins: bool = True
    s2_every_level: bool = False
    per_member_validation: bool = False
    notify_fifo: bool = True
    aware_of_validated: bool = True
    drain_notifications: bool = True
    twins_in_member_order: bool = True
    recovery_barrier: bool = True

    def __post_init__(self) -> None:
        if self.per_member_validation:
            bad = [f for f, ok in (("outputs_by_count", self.outputs_by_count),
                                   ("coordinated_ckpt", not self.coordinated_ckpt),
                                   ("unclustered", not self.unclustered)) if not ok]
            if bad:
                raise ValueError(
                    f"protocol {self.name!r}: per_member_validation works with "
                    "outputs_by_count=True, coordinated_ckpt=False and unclustered=False; "
                    f"change {', '.join(bad)}")

    @classmethod
    def from_letters(cls, letters: str, name: str | None = None, **switches: bool) -> Rules:
        """The paper's reading with the corrections ``letters`` (of
        [`CORRECTIONS`][mdcd_lab.protocols.CORRECTIONS]) on.

        ``Rules.from_letters("RLCS", "mdcd")`` is ``"mdcd"``; further ``switches``
        (``unclustered=True`` ...) are set as given.  ``name`` defaults to
        ``"paper+LETTERS"``.  ``ValueError`` names a letter that is no correction.
        """
        bad = [c for c in letters if c not in CORRECTIONS]
        if bad:
            raise ValueError(f"unknown correction letter(s) {bad}; the corrections are "
                             f"{', '.join(f'{k} ({v})' for k, v in CORRECTIONS.items())}")
        return cls(name or f"paper+{letters}", **{CORRECTIONS[c]: True for c in letters},
                   **switches)


def _mdcd(name: str, **switches: bool) -> Rules:
    """A protocol built on ``"mdcd"``: the paper's reading, its corrections, ``switches``."""
    return Rules.from_letters(MDCD_CORRECTIONS, name, **switches)


#: The readings of issue 21 (docs/protocol.md, section 3: R1 to R4): where the text
#: admits several readings, the one under which it is right.  They are on in the
#: paper's reading (the defaults of [`Rules`][mdcd_lab.protocols.Rules]), hence in every protocol
#: here.
READINGS: tuple[str, ...] = ("notify_fifo", "aware_of_validated", "drain_notifications",
                             "twins_in_member_order")

#: Every protocol by name: its [`Rules`][mdcd_lab.protocols.Rules] (docs/protocols.md).
PROTOCOLS: dict[str, Rules] = {
    "mdcd": _mdcd("mdcd"),
    "mdcd-paper": Rules("mdcd-paper"),
    "mdcd-unclustered": _mdcd("mdcd-unclustered", unclustered=True),
    "every-receive": _mdcd("every-receive", checkpoint_every_receive=True),
    "static": _mdcd("static", s2_checkpoints=False, dedup_regenerated=True),
    "coordinated": _mdcd("coordinated", coordinated_ckpt=True),
    "unguarded": _mdcd("unguarded", unguarded=True),
    "mdcd-vector": _mdcd("mdcd-vector", per_member_validation=True),
}

#: The corrected protocol and the paper's reading: what figures, widgets and
#: explorations compare by default.
DEFAULT_PAIR: tuple[str, str] = ("mdcd", "mdcd-paper")


#: Readings and corrections kept for study (``protocol=VARIANTS[...]``): ``mdcd-paper``
#: with one reading switched back (docs/protocol.md, section 3), and the sound
#: ``mdcd-every-level`` (section 6).
VARIANTS: dict[str, Rules] = {
    "paper-index-before": replace(PROTOCOLS["mdcd-paper"], name="paper-index-before",
                                  ckpt_index_by_trigger=False),
    "paper-prgt-act-only": replace(PROTOCOLS["mdcd-paper"], name="paper-prgt-act-only",
                                   prgt_out_on_low_send=False),
    "paper-outputs-by-sdw": replace(PROTOCOLS["mdcd-paper"], name="paper-outputs-by-sdw",
                                    outputs_by_count=False),
    "paper-keep-late-twins": replace(PROTOCOLS["mdcd-paper"], name="paper-keep-late-twins",
                                     reclaim_validated_twins=False),
    # the other end of the frontier of sound corrections (docs/protocol.md, section 6):
    # a checkpoint before every higher level instead of interval reclamation
    "mdcd-every-level": replace(PROTOCOLS["mdcd"], name="mdcd-every-level",
                                reclaim_by_interval=False, s2_every_level=True),
    # the reading main shipped as "mdcd-paper" before issue 9: all four switched back
    "paper-uncharitable": replace(PROTOCOLS["mdcd-paper"], name="paper-uncharitable",
                                  ckpt_index_by_trigger=False, prgt_out_on_low_send=False,
                                  outputs_by_count=False, reclaim_validated_twins=False),
    # the readings of issue 21, each switched back alone (docs/protocol.md, section 3)
    "paper-notify-overtakes": replace(PROTOCOLS["mdcd-paper"], name="paper-notify-overtakes",
                                      notify_fifo=False),
    "paper-unaware": replace(PROTOCOLS["mdcd-paper"], name="paper-unaware",
                             aware_of_validated=False),
    "paper-no-drain": replace(PROTOCOLS["mdcd-paper"], name="paper-no-drain",
                              drain_notifications=False),
    "paper-twins-unordered": replace(PROTOCOLS["mdcd-paper"], name="paper-twins-unordered",
                                     twins_in_member_order=False),
    # the issue-9 reading of mdcd-paper: none of the readings of issue 21
    "paper-issue9": replace(PROTOCOLS["mdcd-paper"], name="paper-issue9",
                            **dict.fromkeys(READINGS, False)),
    # correction C executed as a one-shot distribution at detection (no two-phase
    # recovery): the recovery window breaks it (docs/protocol.md, section 9)
    "mdcd-oneshot": replace(PROTOCOLS["mdcd"], name="mdcd-oneshot", recovery_barrier=False),
}


def protocol_names() -> tuple[str, ...]:
    """The main comparison set: the protocols that figures, widgets and tests compare.

    ``protocol=`` also accepts every name of [`variant_names`][mdcd_lab.protocols.variant_names].
    """
    return tuple(PROTOCOLS)


def variant_names() -> tuple[str, ...]:
    """Names of the readings and corrections kept for study
    ([`VARIANTS`][mdcd_lab.protocols.VARIANTS]).

    ``simulate(..., protocol="mdcd-every-level")`` and every other entry point
    that takes a protocol name accept them on both engines; they are not part of
    [`protocol_names`][mdcd_lab.protocols.protocol_names].
    """
    return tuple(VARIANTS)


#: Combinations sound in all four exhaustive scopes of docs/protocol.md, section 6
#: (``python benchmarks/explore_scopes.py --corrections SCOPE``, executed recovery):
#: C and S, and R or E.  CSE, RCS and RCSE still lose messages on random traces of
#: larger scenarios (G2, the dirty-sender loss, needs more actions than the scopes
#: hold): the sound combinations are RLCS (``mdcd``), LCSE (``mdcd-every-level``)
#: and RLCSE.
SOUND_IN_SCOPES: tuple[str, ...] = ("CSE", "LCSE", "RCS", "RCSE", "RLCS", "RLCSE")


def correction_combinations() -> dict[str, Rules]:
    """Every combination of the corrections [`CORRECTIONS`][mdcd_lab.protocols.CORRECTIONS] on top
    of ``mdcd-paper``.

    Returns
    -------
    dict
        ``letters -> Rules``, 2^5 = 32 entries ordered by the number of
        corrections, then as the letters R L C S E.  A combination whose
        switches are those of a registered protocol is that protocol (``""``
        is ``PROTOCOLS["mdcd-paper"]``, ``"RLCS"`` is ``PROTOCOLS["mdcd"]``,
        ``"LCSE"`` is ``VARIANTS["mdcd-every-level"]``); the others are named
        ``paper+LETTERS``.
    """
    from itertools import combinations

    registered = [*PROTOCOLS.values(), *VARIANTS.values()]
    out: dict[str, Rules] = {}
    for k in range(len(CORRECTIONS) + 1):
        for letters in combinations(CORRECTIONS, k):
            name = "".join(letters)
            rules = Rules.from_letters(name)
            same = [r for r in registered if replace(r, name=rules.name) == rules]
            out[name] = same[0] if same else rules
    return out


def get_rules(protocol: str | Rules) -> Rules:
    """Rules of a protocol; ``ValueError`` naming the allowed ones otherwise.

    ``protocol`` is a name of [`PROTOCOLS`][mdcd_lab.protocols.PROTOCOLS]
    ([`protocol_names`][mdcd_lab.protocols.protocol_names]) or of
    [`VARIANTS`][mdcd_lab.protocols.VARIANTS] ([`variant_names`][mdcd_lab.protocols.variant_names]).
    A [`Rules`][mdcd_lab.protocols.Rules] object is accepted as it is (for ablation experiments such
    as ``dataclasses.replace(PROTOCOLS["mdcd"], name="x", log_all_when_dirty=False)``).
    """
    if isinstance(protocol, Rules):
        return protocol
    try:
        return PROTOCOLS[protocol]
    except (KeyError, TypeError):
        pass
    try:
        return VARIANTS[protocol]
    except (KeyError, TypeError):
        raise ValueError(f"unknown protocol {protocol!r}; choose one of "
                         f"{', '.join(repr(p) for p in PROTOCOLS)} or a variant kept for "
                         f"study: {', '.join(repr(p) for p in VARIANTS)}") from None
