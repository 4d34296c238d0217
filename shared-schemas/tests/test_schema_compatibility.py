"""The committed event schemas are current, and the models never break them."""
import json
import os
import subprocess
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel
from shared_schemas import generate
from shared_schemas.compat import breaking_changes
from shared_schemas.events import REGISTRY

COMMITTED = sorted(p for p in generate.SCHEMA_DIR.glob("*.json") if p != generate.FIELD_POLICY_PATH)
BASELINE_REF = os.environ.get("SCHEMA_BASELINE_REF", "HEAD")  # CI may point it at the merge base


def _breaking_message(type_name: str, problems: list[str]) -> str:
    return f"{type_name}: a breaking change needs a new .vN type:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.stem)
def test_model_keeps_its_committed_schema_compatible(path: Path) -> None:
    type_name = path.stem
    assert type_name in REGISTRY, f"{type_name} has a committed schema but left REGISTRY; a breaking change needs a new .vN type"
    problems = breaking_changes(json.loads(path.read_text(encoding="utf-8")), generate.event_schema(type_name))
    assert not problems, _breaking_message(type_name, problems)


@pytest.mark.parametrize("type_name", sorted(REGISTRY))
def test_model_keeps_the_schema_in_git_compatible(type_name: str) -> None:
    """Regenerating the files must not hide a break: compare with the schema as the baseline commit has it."""
    path = generate.schema_path(type_name)
    try:
        shown = subprocess.run(
            ["git", "show", f"{BASELINE_REF}:./{path.name}"], cwd=path.parent, capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        pytest.skip("git is not available")
    if shown.returncode != 0:
        pytest.skip(f"{type_name} is not in {BASELINE_REF} yet")
    problems = breaking_changes(json.loads(shown.stdout), generate.event_schema(type_name))
    assert not problems, _breaking_message(type_name, problems)


@pytest.mark.parametrize("type_name", sorted(REGISTRY))
def test_every_event_type_has_a_committed_schema(type_name: str) -> None:
    assert generate.schema_path(type_name).is_file(), f"no committed schema for {type_name}: run `make schemas`"


def test_committed_contract_files_are_up_to_date() -> None:
    stale = generate.stale_files()
    assert not stale, "generated contracts are stale; run `make schemas`: " + ", ".join(
        str(p.relative_to(generate.PROJECT_DIR)) for p in stale
    )


def test_every_registered_type_belongs_to_a_known_topic() -> None:
    for type_name in REGISTRY:
        assert generate.topic_of(type_name) in generate.ALL_TOPICS


def test_asyncapi_lists_every_event_type_on_its_topic_with_its_payload() -> None:
    doc = generate.asyncapi_document()
    assert doc["asyncapi"].startswith("3.")
    for type_name in REGISTRY:
        channel = doc["channels"][generate.topic_of(type_name)]
        assert channel["messages"][type_name] == {"$ref": f"#/components/messages/{type_name}"}
        message = doc["components"]["messages"][type_name]
        payload = (generate.ASYNCAPI_PATH.parent / message["payload"]["$ref"]).resolve()
        assert payload == generate.schema_path(type_name)
        assert message["headers"]["allOf"][1]["properties"]["ce_type"]["const"] == type_name
    headers = doc["components"]["schemas"]["CloudEventHeaders"]
    assert {"ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_sequence"} <= set(
        headers["required"]
    )


def test_check_mode_exits_1_and_names_a_stale_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    stale = tmp_path / "ats.candidate.created.v1.json"
    stale.write_text("{}\n")
    monkeypatch.setattr(generate, "generated_files", lambda: {stale: "{\"type\": \"object\"}\n"})
    monkeypatch.setattr(generate, "SCHEMA_DIR", tmp_path)
    assert generate.main(["--check"]) == 1
    assert "ats.candidate.created.v1.json" in capsys.readouterr().out


def test_generator_refuses_to_overwrite_a_schema_with_a_breaking_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    type_name = "ats.candidate.created.v1"
    committed = generate.event_schema(type_name)
    committed["properties"]["legacy_flag"] = {"type": "boolean"}
    monkeypatch.setattr(generate, "SCHEMA_DIR", tmp_path)
    monkeypatch.setattr(generate, "FIELD_POLICY_PATH", tmp_path / "field-policy.json")
    monkeypatch.setattr(generate, "ASYNCAPI_PATH", tmp_path / "asyncapi.json")
    path = generate.schema_path(type_name)
    path.write_text(generate.render(committed))
    assert generate.main([]) == 1
    assert "legacy_flag: property removed" in capsys.readouterr().err
    assert path.read_text() == generate.render(committed)


# -- breaking_changes on synthetic schemas ------------------------------------------------------------------------

BASE = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "status": {"enum": ["open", "closed", "paused"], "type": "string"},
        "note": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name"],
}


def _changed(**properties) -> dict:
    schema = json.loads(json.dumps(BASE))
    for name, value in properties.items():
        if value is None:
            del schema["properties"][name]
        else:
            schema["properties"][name] = value
    return schema


def test_identical_schemas_are_compatible() -> None:
    assert breaking_changes(BASE, json.loads(json.dumps(BASE))) == []


def test_removing_a_property_is_breaking() -> None:
    assert breaking_changes(BASE, _changed(note=None)) == ["$.note: property removed"]


def test_requiring_an_existing_property_is_breaking() -> None:
    new = _changed()
    new["required"] = ["name", "note"]
    assert breaking_changes(BASE, new) == ["$.note: property newly required"]


def test_adding_a_required_property_is_breaking() -> None:
    new = _changed(owner={"type": "string"})
    new["required"] = ["name", "owner"]
    assert breaking_changes(BASE, new) == ["$.owner: property newly required"]


def test_changing_a_type_is_breaking() -> None:
    assert breaking_changes(BASE, _changed(name={"type": "integer"})) == [
        "$.name: type changed or narrowed from string to integer"
    ]


def test_narrowing_a_nullable_type_is_breaking() -> None:
    assert breaking_changes(BASE, _changed(note={"type": "string"})) == [
        "$.note: type changed or narrowed from null | string to string"
    ]


def test_changing_array_items_is_breaking() -> None:
    assert breaking_changes(BASE, _changed(tags={"type": "array", "items": {"type": "integer"}})) == [
        "$.tags[*]: type changed or narrowed from string to integer"
    ]


def test_removing_an_enum_value_is_breaking() -> None:
    problems = breaking_changes(BASE, _changed(status={"enum": ["open", "closed"], "type": "string"}))
    assert problems == ["$.status: enum value(s) 'paused' removed"]


def test_restricting_a_free_string_to_an_enum_is_breaking() -> None:
    assert breaking_changes(BASE, _changed(name={"enum": ["a"], "type": "string"})) == [
        "$.name: now restricted to the values 'a'"
    ]


def test_tightening_additional_properties_is_breaking() -> None:
    new = _changed()
    new["additionalProperties"] = False
    assert breaking_changes(BASE, new) == ["$: additionalProperties tightened (extra properties are now rejected)"]


def test_tightening_a_map_value_type_is_breaking() -> None:
    old = {"type": "object", "additionalProperties": {"type": ["string", "null"]}}
    new = {"type": "object", "additionalProperties": {"type": "string"}}
    assert breaking_changes(old, new) == ["${*}: type changed or narrowed from null | string to string"]


def test_adding_a_format_or_tightening_a_bound_is_breaking() -> None:
    assert breaking_changes(BASE, _changed(name={"type": "string", "format": "uuid"})) == [
        "$.name: format changed from None to 'uuid'"
    ]
    assert breaking_changes(BASE, _changed(name={"type": "string", "maxLength": 10})) == [
        "$.name: maxLength tightened from none to 10"
    ]


def test_adding_an_optional_property_is_compatible() -> None:
    assert breaking_changes(BASE, _changed(owner={"anyOf": [{"type": "string"}, {"type": "null"}]})) == []


def test_widening_is_compatible() -> None:
    widened = _changed(
        name={"anyOf": [{"type": "string"}, {"type": "null"}]},
        status={"enum": ["open", "closed", "paused", "archived"], "type": "string"},
        tags={"type": "array", "items": {"type": ["string", "integer"]}},
    )
    widened["required"] = []
    assert breaking_changes(BASE, widened) == []
    assert breaking_changes({"type": "integer"}, {"type": "number"}) == []


def test_changes_behind_refs_are_found_with_their_path() -> None:
    old = {
        "$defs": {"Snapshot": {"type": "object", "properties": {"id": {"type": "string"}, "v": {"type": "integer"}}}},
        "type": "object",
        "properties": {"snapshot": {"$ref": "#/$defs/Snapshot"}},
    }
    new = {
        "$defs": {"Snap": {"type": "object", "properties": {"id": {"type": "integer"}}}},
        "type": "object",
        "properties": {"snapshot": {"$ref": "#/$defs/Snap", "description": "renamed def, same place"}},
    }
    assert sorted(breaking_changes(old, new)) == [
        "$.snapshot.id: type changed or narrowed from string to integer",
        "$.snapshot.v: property removed",
    ]


def test_recursive_schemas_are_compared_without_looping() -> None:
    tree = {
        "$defs": {"Node": {"type": "object", "properties": {"children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}}},
        "$ref": "#/$defs/Node",
    }
    assert breaking_changes(tree, json.loads(json.dumps(tree))) == []


def test_pydantic_model_evolution() -> None:
    class StageV1(BaseModel):
        stage: Literal["screen", "interview", "offer"]
        note: str | None = None

    class StageAddsOptionalField(BaseModel):
        stage: Literal["screen", "interview", "offer"]
        note: str | None = None
        reason: str | None = None

    class StageDropsAValue(BaseModel):
        stage: Literal["screen", "offer"]
        note: str

    old = StageV1.model_json_schema()
    assert breaking_changes(old, StageAddsOptionalField.model_json_schema()) == []
    assert sorted(breaking_changes(old, StageDropsAValue.model_json_schema())) == [
        "$.note: property newly required",
        "$.note: type changed or narrowed from null | string to string",
        "$.stage: enum value(s) 'interview' removed",
    ]
