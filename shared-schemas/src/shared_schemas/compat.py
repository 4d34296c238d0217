"""Which changes between two versions of an event's JSON Schema break its consumers.

An event type is read by consumers deployed before the producer changed and replayed from topics that still
hold old events, so a new schema must accept every old event and keep every property old consumers read.
What breaks that: a property removed, a property newly required, a type changed or narrowed, an enum value
removed, a constraint tightened, additionalProperties tightened. Adding optional properties is compatible.
"""
from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_UNBOUNDED = object()
# Constraint keyword -> True when a larger value is tighter (minimum), False when a smaller one is (maximum).
_BOUNDS = {
    "minimum": True,
    "exclusiveMinimum": True,
    "minLength": True,
    "minItems": True,
    "minProperties": True,
    "maximum": False,
    "exclusiveMaximum": False,
    "maxLength": False,
    "maxItems": False,
    "maxProperties": False,
}


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    """List the changes from `old` to `new` that break consumers (empty when `new` is compatible)."""
    return _Comparison(old, new).run()


class _Comparison:
    """One old/new comparison; each side resolves its own `$ref`s against its own document."""

    def __init__(self, old: Schema, new: Schema) -> None:
        self.old_root, self.new_root = old, new
        self.problems: list[str] = []
        self._seen: set[tuple[int, int]] = set()  # (old node, new node) pairs already compared: recursive models

    def run(self) -> list[str]:
        self._compare(self.old_root, self.new_root, "$", self.problems)
        return list(dict.fromkeys(self.problems))

    # -- comparing nodes ---------------------------------------------------------------------------------------

    def _compare(self, old: Any, new: Any, path: str, out: list[str]) -> None:
        old_variants = _variants(old, self.old_root)
        new_variants = _variants(new, self.new_root)
        for old_v in old_variants:
            if old_v.get("not") == {}:
                continue  # the old schema accepted nothing here
            candidates = [new_v for new_v in new_variants if _accepts_type(new_v, old_v)]
            if not candidates:
                out.append(
                    f"{path}: type changed or narrowed from {_describe(old_variants)} to {_describe(new_variants)}"
                )
                continue
            # A union may hold several variants of one type (two object models): the old one must fit one of them.
            attempts: list[list[str]] = []
            for new_v in candidates:
                found: list[str] = []
                self._compare_variant(old_v, new_v, path, found)
                if not found:
                    break
                attempts.append(found)
            else:
                shortest = min(attempts, key=len)
                out.extend(shortest)

    def _compare_variant(self, old: Schema, new: Schema, path: str, out: list[str]) -> None:
        key = (id(old), id(new))
        if key in self._seen:
            return
        self._seen.add(key)
        try:
            self._compare_enum(old, new, path, out)
            self._compare_constraints(old, new, path, out)
            kind = _type_of(old)
            if kind == "object" or "properties" in old:
                self._compare_object(old, new, path, out)
            if (kind == "array" or "items" in old) and ("items" in old or "items" in new):
                self._compare(old.get("items", {}), new.get("items", {}), f"{path}[*]", out)
        finally:
            self._seen.discard(key)

    def _compare_enum(self, old: Schema, new: Schema, path: str, out: list[str]) -> None:
        new_values = _enum_values(new)
        if new_values is None:
            return
        old_values = _enum_values(old)
        if old_values is None:
            out.append(f"{path}: now restricted to the values {_show(new_values)}")
            return
        removed = [v for v in old_values if v not in new_values]
        if removed:
            out.append(f"{path}: enum value(s) {_show(removed)} removed")

    def _compare_constraints(self, old: Schema, new: Schema, path: str, out: list[str]) -> None:
        for keyword, larger_is_tighter in _BOUNDS.items():
            old_bound, new_bound = old.get(keyword, _UNBOUNDED), new.get(keyword, _UNBOUNDED)
            if new_bound is _UNBOUNDED or old_bound == new_bound:
                continue
            if old_bound is _UNBOUNDED or (new_bound > old_bound if larger_is_tighter else new_bound < old_bound):
                out.append(f"{path}: {keyword} tightened from {_show_bound(old_bound)} to {new_bound!r}")
        for keyword in ("pattern", "format", "multipleOf"):
            if keyword in new and new.get(keyword) != old.get(keyword):
                out.append(f"{path}: {keyword} changed from {old.get(keyword)!r} to {new[keyword]!r}")

    def _compare_object(self, old: Schema, new: Schema, path: str, out: list[str]) -> None:
        old_props: dict[str, Any] = old.get("properties", {})
        new_props: dict[str, Any] = new.get("properties", {})
        for name in old_props:
            if name not in new_props:
                out.append(f"{_join(path, name)}: property removed")
        old_required = set(old.get("required", ()))
        for name in new.get("required", ()):
            if name not in old_required:
                out.append(f"{_join(path, name)}: property newly required")
        for name, old_prop in old_props.items():
            if name in new_props:
                self._compare(old_prop, new_props[name], _join(path, name), out)
        self._compare_additional(old, new, path, out)

    def _compare_additional(self, old: Schema, new: Schema, path: str, out: list[str]) -> None:
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        if new_extra is True or new_extra == {}:
            return
        if new_extra is False:
            if old_extra is not False:
                out.append(f"{path}: additionalProperties tightened (extra properties are now rejected)")
            return
        if old_extra is False:
            return
        # Map values (dict[str, X]): the new value schema must accept every old value.
        old_value_schema = {} if old_extra is True else old_extra
        self._compare(old_value_schema, new_extra, f"{path}{{*}}", out)


# -- reading schemas ---------------------------------------------------------------------------------------------


def _resolve(node: Any, root: Schema) -> Schema:
    """Follow local `$ref`s (`#/$defs/X`, any JSON pointer into the same document); sibling keywords win."""
    if node is True or node is None:
        return {}
    if node is False:
        return {"not": {}}
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#") or ref in seen:
            raise ValueError(f"cannot follow $ref {ref!r}: only references within the same document are supported")
        seen.add(ref)
        target: Any = root
        for part in ref[1:].split("/")[1:] if ref != "#" else ():
            target = target[part.replace("~1", "/").replace("~0", "~")]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        node = {**target, **siblings}
    if isinstance(node, dict) and isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
        rest = {k: v for k, v in node.items() if k != "allOf"}
        return {**_resolve(node["allOf"][0], root), **rest}
    return node if isinstance(node, dict) else {}


def _variants(node: Any, root: Schema) -> list[Schema]:
    """Split a schema into single-type alternatives: `anyOf`/`oneOf` members and `type: [..]` lists."""
    schema = _resolve(node, root)
    for keyword in ("anyOf", "oneOf"):
        if isinstance(schema.get(keyword), list):
            shared = {k: v for k, v in schema.items() if k not in (keyword, "title", "description", "default")}
            out: list[Schema] = []
            for member in schema[keyword]:
                out.extend(_variants({**shared, **_resolve(member, root)} if shared else member, root))
            return out
    types = schema.get("type")
    if isinstance(types, list):
        return [{**schema, "type": t} for t in types]
    return [schema]


def _enum_values(schema: Schema) -> list[Any] | None:
    if "const" in schema:
        return [schema["const"]]
    if isinstance(schema.get("enum"), list):
        return list(schema["enum"])
    return None


def _type_of(schema: Schema) -> str | None:
    """The JSON type a single variant accepts, or None for any."""
    if isinstance(schema.get("type"), str):
        return schema["type"]
    values = _enum_values(schema)
    if values:
        kinds = {_json_type(v) for v in values}
        if len(kinds) == 1:
            return kinds.pop()
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema or "prefixItems" in schema:
        return "array"
    return None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _accepts_type(new: Schema, old: Schema) -> bool:
    """Whether the new variant accepts values of the old variant's type (number accepts integer)."""
    if new.get("not") == {}:
        return False
    new_type, old_type = _type_of(new), _type_of(old)
    if new_type is None:
        return True  # any type; an enum restriction is judged by _compare_enum
    if old_type is None:
        return False
    return new_type == old_type or (new_type == "number" and old_type == "integer")


def _describe(variants: list[Schema]) -> str:
    return " | ".join(sorted({_type_of(v) or "any" for v in variants}))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}"


def _show(values: list[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def _show_bound(bound: Any) -> str:
    return "none" if bound is _UNBOUNDED else repr(bound)
