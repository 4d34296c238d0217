"""The gateway's operations CLI (`talent-gateway` / `python -m sync_gateway`), run as a real subprocess against the
e2e stack with the gateway service's own environment: backfill (idempotent, resumable), lag, replay, resync."""
from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

ATS_TOPIC = "ats.candidates"


async def cli(e2e: Any, state_dir: Path, *args: str, script: bool = False, timeout: float = 180) -> tuple[int, str, str]:
    """Run the CLI with the gateway process's env (urls, keys, database, Kafka); returns (exit code, stdout, stderr)."""
    argv = [str(e2e.gateway.bin_dir / "talent-gateway")] if script else [str(e2e.gateway.bin_dir / "python"), "-m", "sync_gateway"]
    proc = await asyncio.create_subprocess_exec(*argv, *args, env=cli_env(e2e, state_dir),
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        raise
    return proc.returncode or 0, out.decode(), err.decode()


def cli_env(e2e: Any, state_dir: Path) -> dict[str, str]:
    return {**os.environ, **e2e.gateway.env, "GATEWAY_STATE_DIR": str(state_dir)}


async def cli_json(e2e: Any, state_dir: Path, *args: str) -> dict[str, Any]:
    code, out, err = await cli(e2e, state_dir, *args, "--json")
    assert code == 0, f"exit {code}\nstdout: {out}\nstderr: {err}"
    return json.loads(out)


async def links_of(e2e: Any, candidate_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The gateway's link rows of these candidates, read from its database (its API is down in these tests)."""
    engine = create_async_engine(e2e.gateway.env["GATEWAY_DATABASE_URL"])
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(
                text("SELECT ats_candidate_id::text AS c, crm_prospect_id::text AS p, matched_by FROM links "
                     "WHERE ats_candidate_id::text = ANY(:ids)"), {"ids": candidate_ids})).mappings().all()
    finally:
        await engine.dispose()
    return {r["c"]: dict(r) for r in rows}


async def assert_one_prospect_each(api: Any, people: dict[str, str], links: dict[str, dict[str, Any]]) -> None:
    """Exactly one CRM prospect per email, the linked one."""
    for candidate_id, addr in people.items():
        prospects = await api.by_email("crm", addr)
        assert [p["id"] for p in prospects] == [links[candidate_id]["p"]], (addr, prospects)


async def test_backfill_links_existing_candidates_idempotently_and_resumes(e2e, api, http, email, tmp_path):
    since = datetime.now(UTC).isoformat()
    only_ours = ("--side", "ats", "--updated-after", since)  # the shared stack holds other tests' candidates too
    e2e.gateway.stop()
    try:
        people: dict[str, str] = {}
        for i in range(5):
            addr = email("backfill")
            cand = await api.create("ats", first_name="Back", last_name=f"Fill{i}", emails=[addr], headline=f"role {i}")
            people[cand["id"]] = addr
        ids = list(people)
        # An erased person is never carried to the CRM (not even as an anonymised husk).
        gone = await api.create("ats", first_name="Era", last_name="Sed", emails=[email("backfill-erased")])
        assert (await http.post(f"{e2e.ats_url}/v1/candidates/{gone['id']}/erase", json={})).status_code == 200
        assert await links_of(e2e, [*ids, gone["id"]]) == {}  # the gateway is down: nobody linked

        first = await cli_json(e2e, tmp_path, "backfill", *only_ours)
        assert (first["ats"]["records"], first["ats"]["created"], first["ats"]["erased"], first["ats"]["failed_ids"]) == \
            (6, 5, 1, [])
        assert await links_of(e2e, [gone["id"]]) == {}
        assert first["ats"]["complete"] and not first["ats"]["resumed"]
        links = await links_of(e2e, ids)
        assert set(links) == set(ids) and {l["matched_by"] for l in links.values()} == {"created_in_crm"}
        await assert_one_prospect_each(api, people, links)
        prospect, _ = await api.get("crm", links[ids[2]]["p"])
        assert (prospect["last_name"], prospect["headline"], prospect["source"], prospect["created_by"]) == \
            ("Fill2", "role 2", "ats_import", "sync-gateway")

        # Again from the start: every one already linked, re-synced, nothing created twice.
        again = await cli_json(e2e, tmp_path, "backfill", *only_ours, "--restart")
        assert (again["ats"]["records"], again["ats"]["created"], again["ats"]["resynced"], again["ats"]["erased"]) == (6, 0, 5, 1)
        assert await links_of(e2e, ids) == links
        await assert_one_prospect_each(api, people, links)

        # Resumable: stop after the first page of 2; the next run goes on from the checkpoint (4 more, not 6).
        part = await cli_json(e2e, tmp_path, "backfill", *only_ours, "--restart", "--batch", "2", "--max-pages", "1")
        assert (part["ats"]["records"], part["ats"]["complete"]) == (2, False)
        saved = json.loads(Path(part["checkpoint"]).read_text())["sides"]["ats"]
        assert saved["cursor"] and saved["records"] == 2 and not saved["complete"]
        rest = await cli_json(e2e, tmp_path, "backfill", *only_ours, "--batch", "2")
        assert (rest["ats"]["resumed"], rest["ats"]["records"], rest["ats"]["complete"]) == (True, 4, True)

        # Killed (SIGKILL) in the middle of a run over 3 new, unlinked candidates: the re-run completes,
        # and the Idempotency-Keys / email match mean nobody gets a second prospect.
        for i in range(3):
            addr = email("backfill-kill")
            cand = await api.create("ats", first_name="Kill", last_name=f"Ed{i}", emails=[addr])
            people[cand["id"]] = addr
        ids = list(people)
        proc = await asyncio.create_subprocess_exec(
            str(e2e.gateway.bin_dir / "python"), "-m", "sync_gateway", "backfill", *only_ours, "--restart", "--batch", "1",
            env=cli_env(e2e, tmp_path), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)

        def checkpointed() -> bool:
            try:
                return json.loads(Path(first["checkpoint"]).read_text())["sides"]["ats"]["records"] >= 1 and \
                    not json.loads(Path(first["checkpoint"]).read_text())["sides"]["ats"]["complete"]
            except (OSError, ValueError, KeyError):
                return False
        await e2e.wait_until(lambda: checkpointed() or proc.returncode is not None, 60, message="a first page done")
        if proc.returncode is None:
            proc.send_signal(signal.SIGKILL)
        await proc.wait()
        resumed = await cli_json(e2e, tmp_path, "backfill", *only_ours, "--batch", "1")
        assert resumed["ats"]["complete"] and resumed["ats"]["failed"] == 0
        links = await links_of(e2e, ids)
        assert set(links) == set(ids)
        await assert_one_prospect_each(api, people, links)
        code, out, err = await cli(e2e, tmp_path, "backfill", "--side", "crm", "--updated-after", since)
        assert code == 0 and "backfill crm:" in out and "failed 0" in out, (out, err)
    finally:
        await e2e.restart_gateway()

    # The live consumer now reads those candidates' created events: the links exist, so nothing is created again.
    async def caught_up() -> bool:
        lag = await cli_json(e2e, tmp_path, "lag")
        rows = [r for r in lag["partitions"] if r["topic"] == ATS_TOPIC]
        return bool(rows) and all(r["lag"] == 0 for r in rows)
    await e2e.wait_until(caught_up, 30, interval=0.5, message="the gateway caught up on ats.candidates")
    assert await links_of(e2e, ids) == links
    await assert_one_prospect_each(api, people, links)


async def test_lag_replay_and_resync(e2e, api, email, tmp_path):
    cands = [await api.create("ats", first_name="Re", last_name=f"Play{i}", emails=[email("replay")]) for i in range(3)]
    links = [await api.link_of_candidate(c["id"], 10) for c in cands]

    # lag: a row per partition of ats.candidates (through the console script), and it drains to 0.
    code, out, err = await cli(e2e, tmp_path, "lag", script=True)
    assert code == 0, err
    rows = [line.split() for line in out.splitlines() if line.startswith(f"{ATS_TOPIC} ")]
    assert sorted(int(r[1]) for r in rows) == sorted(await e2e.partitions(ATS_TOPIC)) and len(rows) >= 1, out

    async def drained() -> bool:
        lag = await cli_json(e2e, tmp_path, "lag", "--group", "sync-gateway", "--topic", ATS_TOPIC)
        return bool(lag["partitions"]) and all(r["lag"] == 0 for r in lag["partitions"])  # (an empty partition has no commit)
    await e2e.wait_until(drained, 30, interval=0.5, message="the gateway's lag on ats.candidates at 0")

    # replay of a range the live consumer already applied: nothing applied again, every record a duplicate.
    records = await e2e.read_topic(ATS_TOPIC, subjects={c["id"] for c in cands})
    partition = max({r.partition for r in records}, key=lambda p: sum(r.partition == p for r in records))
    offsets = [r.offset for r in records if r.partition == partition]
    lo, hi = min(offsets), max(offsets)
    replay = await cli_json(e2e, tmp_path, "replay", "--topic", ATS_TOPIC, "--partition", str(partition),
                            "--from-offset", str(lo), "--to-offset", str(hi))
    assert (replay["records"], replay["applied"], replay["duplicates"], replay["dead_lettered"]) == (hi - lo + 1, 0, hi - lo + 1, 0)

    cand, link = cands[0], links[0]
    e2e.gateway.stop()
    try:
        # resync: a change made while the gateway is down reaches the other side.
        await api.patch("ats", cand["id"], headline="changed while the gateway was down")
        prospect, _ = await api.get("crm", link["crm_prospect_id"])
        assert prospect["headline"] is None
        resynced = await cli_json(e2e, tmp_path, "resync", "--candidate", cand["id"])
        assert resynced["link_id"] == link["id"] and resynced["changed"] == {"ats": [], "crm": ["headline"]}
        prospect, _ = await api.get("crm", link["crm_prospect_id"])
        assert prospect["headline"] == "changed while the gateway was down"
        by_prospect = await cli_json(e2e, tmp_path, "resync", "--prospect", link["crm_prospect_id"])
        assert by_prospect["changed"] == {"ats": [], "crm": []}
        code, _, err = await cli(e2e, tmp_path, "resync", "--candidate", str(uuid.uuid4()))
        assert code == 1 and "has no link" in err

        # replay of an event the consumer has not seen yet: applied once through the live handler, then a duplicate.
        await api.patch("ats", cand["id"], first_name="Replayed")

        async def update_record() -> Any:
            found = [r for r in await e2e.read_topic(ATS_TOPIC, subjects={cand["id"]})
                     if e2e.header(r, "ce_type") == "ats.candidate.updated.v1"]
            return found[-1] if len(found) == 2 else None
        rec = await e2e.wait_until(update_record, 10, interval=0.2, message="the first_name update on the topic")
        args = ("replay", "--topic", ATS_TOPIC, "--partition", str(rec.partition), "--from-offset", str(rec.offset),
                "--to-offset", str(rec.offset))
        once = await cli_json(e2e, tmp_path, *args)
        assert (once["applied"], once["duplicates"]) == (1, 0)
        prospect, _ = await api.get("crm", link["crm_prospect_id"])
        assert prospect["first_name"] == "Replayed"
        twice = await cli_json(e2e, tmp_path, *args)
        assert (twice["applied"], twice["duplicates"]) == (0, 1)
        code, out, _ = await cli(e2e, tmp_path, *args)
        assert code == 0 and "records 1: applied 0, duplicates 1, dead-lettered 0" in out
    finally:
        await e2e.restart_gateway()
