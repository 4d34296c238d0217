"""Pure decisions: given a change on one side and the other side's current value, what (if anything) to write.

Rules (DESIGN.md §1): `two_way` is latest-wins by source time, ties going to the ATS (system of record), so that
both sides converge whatever order the events arrive in; `union` only ever adds; `prefer_X_unless_blank` lets X
win unless X is blank; `ats`/`crm` flow one way; `none` never flows."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from shared_schemas.policy import OwnershipMode as Mode

Side = Literal["ats", "crm"]
_EPOCH = datetime.min.replace(tzinfo=UTC)
_TIE_RANK = {"ats": 1, "crm": 0}


def other(side: Side) -> Side:
    return "crm" if side == "ats" else "ats"


def blank(value: Any) -> bool:
    return value is None or value == "" or value == []


@dataclass(frozen=True)
class FieldState:
    """A field's value on one side and when it last changed there."""

    value: Any
    time: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """What to do with the target side for one field."""

    write: bool
    value: Any = None
    conflict: bool = False
    winner: Side | None = None
    rule: str = ""


NO_WRITE = Decision(write=False)


def decide(mode: Mode, source: Side, src: FieldState, tgt: FieldState) -> Decision:
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
        return Decision(True, src.value, rule=mode.value) if source == mode.value else NO_WRITE
    if mode in (Mode.PREFER_ATS_UNLESS_BLANK, Mode.PREFER_CRM_UNLESS_BLANK):
        preferred: Side = "ats" if mode == Mode.PREFER_ATS_UNLESS_BLANK else "crm"
        if blank(src.value):
            return NO_WRITE
        if source == preferred or blank(tgt.value):
            return Decision(True, src.value, rule=mode.value)
        return NO_WRITE
    # two_way: latest source time wins; a tie goes to the ATS.
    src_key = (src.time or _EPOCH, _TIE_RANK[source])
    tgt_key = (tgt.time or _EPOCH, _TIE_RANK[target])
    if src_key > tgt_key:
        return Decision(True, src.value, rule="two_way", winner=source)
    return Decision(False, conflict=True, winner=target, rule="two_way")
