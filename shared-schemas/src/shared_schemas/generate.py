"""Write the published contracts from the models: one JSON Schema per event type, the field policy, AsyncAPI.

    python -m shared_schemas.generate                   # (re)write the files; refuses breaking changes
    python -m shared_schemas.generate --check           # exit 1 listing stale files (CI)
    python -m shared_schemas.generate --allow-breaking  # overwrite anyway (only before a type is ever published)
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from shared_schemas.compat import breaking_changes
from shared_schemas.envelope import (
    _HEADER_ATTRS,
    CONTENT_TYPE,
    SPECVERSION,
    EventEnvelope,
)
from shared_schemas.events import REGISTRY
from shared_schemas.policy import CATALOGUE, OwnershipMode
from shared_schemas.topics import ALL_TOPICS

PACKAGE_DIR = Path(__file__).resolve().parent
SCHEMA_DIR = PACKAGE_DIR / "jsonschema"
PROJECT_DIR = PACKAGE_DIR.parents[1]  # shared-schemas/
ASYNCAPI_PATH = PROJECT_DIR / "asyncapi.json"
FIELD_POLICY_PATH = SCHEMA_DIR / "field-policy.json"

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
KAFKA_BINDING_VERSION = "0.5.0"
BREAKING_HINT = "a breaking change needs a new .vN type"

_HEADER_DESCRIPTIONS = {
    "time": "When the change happened (RFC 3339, UTC).",
    "sequence": "Per-aggregate version after the change (extension `sequence`), as a decimal string.",
}


def schema_path(type_name: str) -> Path:
    """Where the committed JSON Schema of an event type lives."""
    return SCHEMA_DIR / f"{type_name}.json"


def event_schema(type_name: str) -> dict[str, Any]:
    """The JSON Schema (Draft 2020-12) of an event type's `data`, as the model defines it now."""
    return {"$schema": JSON_SCHEMA_DIALECT, **REGISTRY[type_name].model_json_schema()}


def field_policy() -> dict[str, Any]:
    """The profile field catalogue with each field's default ownership mode."""
    return {
        "modes": [mode.value for mode in OwnershipMode],
        "fields": [spec.model_dump(mode="json") for spec in CATALOGUE],
    }


def topic_of(type_name: str) -> str:
    """The topic an event type travels on: `<service>.<aggregate>.<verb>.vN` -> `<service>.<aggregate>s`."""
    service, aggregate, *_ = type_name.split(".")
    topic = f"{service}.{aggregate}s"
    if topic not in ALL_TOPICS:
        raise ValueError(f"event type {type_name!r} maps to topic {topic!r}, which is not in topics.ALL_TOPICS")
    return topic


def asyncapi_document() -> dict[str, Any]:
    """An AsyncAPI 3.0 description of every topic, its message types, ce_* headers and key."""
    payload_dir = Path(os.path.relpath(SCHEMA_DIR, ASYNCAPI_PATH.parent)).as_posix()
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for topic in ALL_TOPICS:
        types = [t for t in REGISTRY if topic_of(t) == topic]
        channels[topic] = {
            "address": topic,
            "description": f"Produced by `{topic.split('.')[0]}`; keyed by aggregate id, so each one's events stay in order.",
            "messages": {t: {"$ref": f"#/components/messages/{t}"} for t in types},
            "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        operations[f"publish.{topic}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{topic}"},
            "messages": [{"$ref": f"#/channels/{topic}/messages/{t}"} for t in types],
            "summary": f"The `{topic.split('.')[0]}` service publishes through its transactional outbox.",
        }
    messages = {t: _message(t, model, f"./{payload_dir}/{t}.json") for t, model in REGISTRY.items()}
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Talent platform events",
            "version": _project_version(),
            "description": (
                "CloudEvents 1.0 in Kafka binary mode: context attributes in `ce_*` headers, the JSON `data` in "
                "the value, the aggregate id as the key. Schemas evolve compatibly; " + BREAKING_HINT + "."
            ),
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": {"CloudEventHeaders": _header_schema()}},
    }


def generated_files() -> dict[Path, str]:
    """Every generated file with the exact text it must hold."""
    files = {schema_path(t): render(event_schema(t)) for t in sorted(REGISTRY)}
    files[FIELD_POLICY_PATH] = render(field_policy())
    files[ASYNCAPI_PATH] = render(asyncapi_document())
    return files


def orphan_files(expected: dict[Path, str]) -> list[Path]:
    """Files in jsonschema/ that no longer come from the models (an event type was dropped)."""
    return sorted(p for p in SCHEMA_DIR.glob("*.json") if p not in expected)


def stale_files(expected: dict[Path, str] | None = None) -> list[Path]:
    """Generated files that are missing, differ from what the models give, or are no longer generated."""
    expected = generated_files() if expected is None else expected
    stale = [p for p, text in expected.items() if not p.is_file() or p.read_text(encoding="utf-8") != text]
    return sorted(stale) + orphan_files(expected)


def breaking_against_disk(expected: dict[Path, str] | None = None) -> dict[Path, list[str]]:
    """Breaking changes the regenerated schemas would make to the ones on disk, by file."""
    expected = generated_files() if expected is None else expected
    found: dict[Path, list[str]] = {}
    for type_name in REGISTRY:
        path = schema_path(type_name)
        if path.is_file():
            problems = breaking_changes(json.loads(path.read_text(encoding="utf-8")), json.loads(expected[path]))
            if problems:
                found[path] = problems
    for path in orphan_files(expected):
        if path != FIELD_POLICY_PATH:
            found[path] = [f"event type {path.stem!r} is no longer in REGISTRY"]
    return found


def render(document: Any) -> str:
    """Stable JSON text: indented, sorted keys, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the generated files, or with --check report the stale ones."""
    parser = argparse.ArgumentParser(prog="python -m shared_schemas.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 listing stale files; write nothing")
    parser.add_argument("--allow-breaking", action="store_true", help="overwrite schemas even with breaking changes")
    args = parser.parse_args(argv)
    expected = generated_files()

    if args.check:
        stale = stale_files(expected)
        if stale:
            print("Generated contracts are stale; run `make schemas` (python -m shared_schemas.generate):")
            for path in stale:
                print(f"  {_show(path)}")
            return 1
        print(f"{len(expected)} generated contract files are up to date.")
        return 0

    breaking = breaking_against_disk(expected)
    if breaking and not args.allow_breaking:
        print(f"Refusing to overwrite: {BREAKING_HINT} (or --allow-breaking if it was never published).", file=sys.stderr)
        for path, problems in breaking.items():
            for problem in problems:
                print(f"  {_show(path)}: {problem}", file=sys.stderr)
        return 1

    SCHEMA_DIR.mkdir(exist_ok=True)
    for path in orphan_files(expected):
        path.unlink()
        print(f"removed {_show(path)}")
    for path, text in expected.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {_show(path)}")
    return 0


def _message(type_name: str, model: type[BaseModel], payload_ref: str) -> dict[str, Any]:
    summary = (model.__doc__ or type_name).strip().splitlines()[0]
    return {
        "name": type_name,
        "title": type_name,
        "summary": summary,
        "contentType": CONTENT_TYPE,
        "headers": {
            "type": "object",
            "allOf": [
                {"$ref": "#/components/schemas/CloudEventHeaders"},
                {"type": "object", "properties": {"ce_type": {"type": "string", "const": type_name}}},
            ],
        },
        "payload": {"$ref": payload_ref},
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "format": "uuid",
                    "description": "The aggregate id (equal to `ce_subject`): one aggregate's events share a partition.",
                },
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }


def _header_schema() -> dict[str, Any]:
    """The ce_* headers EventEnvelope writes (every header value is a UTF-8 string)."""
    properties: dict[str, Any] = {
        "ce_specversion": {"type": "string", "const": SPECVERSION, "description": "CloudEvents spec version."},
        "content-type": {"type": "string", "const": CONTENT_TYPE, "description": "Media type of the value (`datacontenttype`)."},
    }
    required = ["ce_specversion", "content-type"]
    for attr in _HEADER_ATTRS:
        field = EventEnvelope.model_fields[attr]
        header: dict[str, Any] = {"type": "string"}
        description = _HEADER_DESCRIPTIONS.get(attr) or field.description
        if description:
            header["description"] = description
        if attr == "time":
            header["format"] = "date-time"
        elif attr == "sequence":
            header["pattern"] = "^[0-9]+$"
        properties[f"ce_{attr}"] = header
        if field.is_required() or field.default_factory is not None:  # always written
            required.append(f"ce_{attr}")
    return {"type": "object", "properties": properties, "required": required}


def _project_version() -> str:
    try:
        return tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "0.0.0"


def _show(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
