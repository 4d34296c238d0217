"""Pure decisions: given a change on one side and the other side's current value, what (if anything) to write,
and whether a value was overridden (the gateway logs every overridden value as a conflict).

Rules (DESIGN.md §1): `two_way` is latest-wins by source time, ties going to the ATS (system of record), so that
both sides converge whatever order the events arrive in; `union` only ever adds; `prefer_X_unless_blank` lets X
win unless X is blank; `ats`/`crm` flow one way; `none` never flows.

A value counts as overridden when the decision leaves a side's own value out (the change is not carried) or
writes over the target's own value. `before` is the source's value before this change: when the target still
holds it, the write is plain propagation, not an override. `UNKNOWN` (the default) means it cannot be told, and
an overwrite is then not logged; `None` (a creation, a link, a resync) means the source had nothing before, so
any other value the target holds is its own."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from shared_schemas.policy import OwnershipMode as Mode

Side = Literal["ats", "crm"]
_EPOCH = datetime.min.replace(tzinfo=UTC)
_TIE_RANK = {"ats": 1, "crm": 0}
UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN"})()


def other(side: Side) -> Side:
    """The other system."""
    return "crm" if side == "ats" else "ats"


def blank(value: Any) -> bool:
    """No value at all (nothing to lose)."""
    return value is None or value == "" or value == []


@dataclass(frozen=True)
class FieldState:
    """A field's value on one side and when it last changed there."""

    value: Any
    time: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """What to do with the target side for one field; `conflict` when a value was overridden (log it)."""

    write: bool
    value: Any = None
    conflict: bool = False
    winner: Side | None = None
    rule: str = ""


NO_WRITE = Decision(write=False)


def decide(mode: Mode, source: Side, src: FieldState, tgt: FieldState, before: Any = UNKNOWN) -> Decision:
    """Decide one field for a change seen on `source`, against the target's current state."""
    target = other(source)
    if mode == Mode.NONE:
        return NO_WRITE
    if mode == Mode.UNION:
        missing = [v for v in (src.value or []) if v not in (tgt.value or [])]
        return Decision(True, [*(tgt.value or []), *missing], rule="union") if missing else NO_WRITE
    if src.value == tgt.value:
        return NO_WRITE
    if mode in (Mode.ATS, Mode.CRM):
        if source == mode.value:
            return _overwrite(src, tgt, before, rule=mode.value, winner=source)
        return _kept_out(src, before, rule=mode.value, winner=target)
    if mode in (Mode.PREFER_ATS_UNLESS_BLANK, Mode.PREFER_CRM_UNLESS_BLANK):
        preferred: Side = "ats" if mode == Mode.PREFER_ATS_UNLESS_BLANK else "crm"
        if not blank(src.value) and (source == preferred or blank(tgt.value)):
            return _overwrite(src, tgt, before, rule=mode.value, winner=source)
        return _kept_out(src, before, rule=mode.value, winner=target)
    # two_way: latest source time wins; a tie goes to the ATS.
    src_key = (src.time or _EPOCH, _TIE_RANK[source])
    tgt_key = (tgt.time or _EPOCH, _TIE_RANK[target])
    if src_key > tgt_key:
        return _overwrite(src, tgt, before, rule="two_way", winner=source)
    return Decision(False, conflict=True, winner=target, rule="two_way")


def _overwrite(src: FieldState, tgt: FieldState, before: Any, *, rule: str, winner: Side) -> Decision:
    """Write the source's value; an override when the target held a value of its own."""
    own = not blank(tgt.value) and before is not UNKNOWN and tgt.value != before
    return Decision(True, src.value, conflict=own, winner=winner, rule=rule)


def _kept_out(src: FieldState, before: Any, *, rule: str, winner: Side) -> Decision:
    """Do not carry the source's value; an override when it is a real value (or a real clearing of one)."""
    lost = not blank(src.value) or (before is not UNKNOWN and not blank(before))
    return Decision(False, conflict=lost, winner=winner, rule=rule)
