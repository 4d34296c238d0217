"""Which fields of the event contracts are personal data, and whose: the outbox seals those values with the
person's own key before they reach Kafka (see `talentkit.sealing`). A field is personal when its model declares
`json_schema_extra=PERSONAL` (shown as `"x-personal": true` in the generated JSON Schema); a `changes` map seals
the before/after of the personal fields its event's snapshots declare."""
from __future__ import annotations

import types
import typing
from functools import cache
from typing import Any, Union

from pydantic import BaseModel

PERSONAL: dict[str, Any] = {"x-personal": True}

# A model's personal layout: field -> True (seal the value) | a nested layout | a set of names (a `changes` map:
# seal before/after of those keys).
Layout = dict[str, Any]


def _is_personal(model: type[BaseModel], name: str) -> bool:
    extra = model.model_fields[name].json_schema_extra
    return isinstance(extra, dict) and bool(extra.get("x-personal"))


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """BaseModel classes an annotation holds directly (X, X | None, list[X])."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType, list):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return [annotation] if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []


@cache
def layout(model: type[BaseModel]) -> Layout:
    """Where a payload model keeps personal data (empty when nowhere)."""
    out: Layout = {}
    for name, info in model.model_fields.items():
        if _is_personal(model, name):
            out[name] = True
        elif nested := [layout(m) for m in _models_in(info.annotation) if layout(m)]:
            out[name] = nested[0]
    if "changes" in model.model_fields:
        names = {k for k, v in _flatten(out).items() if v is True}
        if names:
            out["changes"] = names
    return out


def _flatten(lay: Layout) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for k, v in lay.items():
        if isinstance(v, dict):
            flat.update(_flatten(v))
        else:
            flat[k] = v
    return flat


def person_of(event_type: str, aggregate_id: str, data: dict[str, Any]) -> str | None:
    """Whose personal data an event carries: the person snapshot's id, else the `candidate_id`/`prospect_id` it
    names, else (for a person aggregate) the aggregate itself."""
    aggregate = event_type.split(".")[1]
    snapshot = data.get(aggregate)
    if aggregate in ("candidate", "prospect") and isinstance(snapshot, dict) and snapshot.get("id"):
        return str(snapshot["id"])
    for holder in (data, *(v for v in data.values() if isinstance(v, dict))):
        for key in ("candidate_id", "prospect_id"):
            if holder.get(key):
                return str(holder[key])
    return aggregate_id if aggregate in ("candidate", "prospect") else None
