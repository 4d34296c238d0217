"""`/v1/imports`: CSV files of prospects, checked at upload, worked through in the background, deduplicated by
email, with per-row errors, progress, cancel, idempotent re-upload; hostile files give row errors or a clear 4xx."""
from __future__ import annotations

import asyncio
import codecs
import time
import uuid
from collections.abc import Iterator

import pytest
from crm.imports.config import ImportSettings
from crm.imports.service import ImportRunner


def email(tag: str = "i") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.com"


async def upload(crm, text: str | bytes, *, expect: int = 202, **params) -> dict:
    content = text.encode() if isinstance(text, str) else text
    r = await crm.client.post("/v1/imports", content=content, params=params, headers={"Content-Type": "text/csv"})
    assert r.status_code == expect, r.text
    return r.json()


async def finished(crm, import_id: str, timeout: float = 30.0) -> dict:
    """The import once it is no longer queued or running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = (await crm.client.get(f"/v1/imports/{import_id}")).json()
        if body["status"] not in ("queued", "running"):
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"import {import_id} still {body['status']} after {timeout} s: {body}")


async def errors(crm, import_id: str) -> list[dict]:
    r = await crm.client.get(f"/v1/imports/{import_id}/errors", params={"limit": 200})
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def prospect_by(crm, address: str) -> dict:
    found = (await crm.client.get("/v1/prospects", params={"email": address})).json()["data"]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def paused(crm) -> Iterator[None]:
    """The background worker takes nothing while the test runs chunks itself."""
    before = crm.app.state.import_settings
    crm.app.state.import_settings = ImportSettings(worker_enabled=False)
    yield
    crm.app.state.import_settings = before


async def test_an_upload_is_accepted_and_the_worker_creates_prospects_with_the_import_source(crm):
    a, b = email("a"), email("b")
    text = codecs.BOM_UTF8.decode() + (f"First Name;Last Name;E-mail;Company;Tags;Twitter\n"
                                       f"Ada;Lovelace;{a.upper()};Analytical Engines;math|poetry;@ada\n\n"
                                       f"Grace;Hopper;{b};US Navy;;\n")
    r = await crm.client.post("/v1/imports", content=text.encode(), params={"source": "event", "filename": "leads.csv"},
                              headers={"Content-Type": "text/csv"})
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/v1/imports/{r.json()['id']}"
    started = r.json()
    assert (started["encoding"], started["delimiter"], started["total"]) == ("utf-8-sig", ";", 2)
    assert started["columns"] == {"First Name": "first_name", "Last Name": "last_name", "E-mail": "emails",
                                  "Company": "current_company", "Tags": "tags"}
    assert started["unknown_columns"] == ["Twitter"] and started["filename"] == "leads.csv"
    done = await finished(crm, started["id"])
    assert (done["status"], done["processed"], done["created"], done["updated"], done["skipped"], done["failed"]) == (
        "completed", 2, 2, 0, 0, 0)
    ada = await prospect_by(crm, a)
    assert (ada["first_name"], ada["emails"], ada["source"], ada["tags"], ada["current_company"]) == (
        "Ada", [a], "event", ["math", "poetry"], "Analytical Engines")
    records = await crm.events_for(ada["id"], until=lambda rs: len(rs) >= 1)
    assert [dict(r.headers)["ce_type"] for r in records] == [b"crm.prospect.created.v1"]


async def test_rows_of_known_prospects_fill_blanks_and_never_overwrite_or_blank(crm):
    known = email("k")
    existing = (await crm.client.post("/v1/prospects", json=crm.body(emails=[known], headline="Keep me", tags=["cobol"],
                                                                     source="referral"))).json()
    text = ("first_name,last_name,email,headline,company,tags,phone\n"
            f"Other,Name,{known.upper()},Overwrite?,Acme,\"cobol, navy\",\n"
            f"Again,Twice,{known},,,navy,\n")
    done = await finished(crm, (await upload(crm, text))["id"])
    assert (done["created"], done["updated"], done["skipped"], done["failed"]) == (0, 1, 1, 0)
    now = (await crm.client.get(f"/v1/prospects/{existing['id']}")).json()
    assert (now["first_name"], now["headline"], now["source"]) == ("Grace", "Keep me", "referral")
    assert now["current_company"] == "Acme" and now["tags"] == ["cobol", "navy"] and now["version"] == 2

    skip = await finished(crm, (await upload(crm, f"name,email,company\nX Y,{known},Other Co\n", on_existing="skip"))["id"])
    assert (skip["created"], skip["skipped"]) == (0, 1)
    assert (await crm.client.get(f"/v1/prospects/{existing['id']}")).json()["version"] == 2


async def test_bad_rows_are_listed_with_line_column_and_message_and_the_others_import(crm):
    formula, html_name, good = email("f"), email("h"), email("g")
    lines = ["First,Last,Email,Location",
             f'"=HYPERLINK(""http://evil.example"",""x"")",Smith,{formula},=1+2',
             f"<b>Bo</b>,<script>alert(1)</script>,{html_name},",
             "Ann,Lee,not-an-email,",
             "Cy,,cy@example.com,",
             "Di,Ng,di@example.com,Oslo,surplus",
             f"Ed,Ko,{good},Ber\udcfflin"]
    content = "\n".join(lines).encode("utf-8", errors="surrogateescape") + b"\nFe,Nul\x00,f@example.com,\n"
    done = await finished(crm, (await upload(crm, content))["id"])
    assert (done["created"], done["failed"], done["total"]) == (2, 5, 7)
    listed = await errors(crm, done["id"])
    assert [(e["row"], e["column"]) for e in listed] == [(4, "Email"), (5, "Last"), (6, None), (7, "Location"), (8, "Last")]
    assert "email" in listed[0]["message"] and listed[0]["value"] == "not-an-email"
    assert "5 values" in listed[2]["message"]
    assert "UTF-8" in listed[3]["message"]
    stored = await prospect_by(crm, formula)
    assert stored["first_name"] == '=HYPERLINK("http://evil.example","x")' and stored["location"] == "=1+2"
    assert (await prospect_by(crm, html_name))["last_name"] == "<script>alert(1)</script>"  # text, escaped where shown


async def test_the_same_file_again_is_the_same_import_and_other_options_are_another(crm):
    text = f"name,email\nAl Bo,{email()}\n"
    first = await upload(crm, text)
    await finished(crm, first["id"])
    again = await upload(crm, text, expect=200)
    assert again["id"] == first["id"]
    other = await upload(crm, text, source="referral")
    assert other["id"] != first["id"]
    key = f"k-{uuid.uuid4()}"
    keyed = await crm.client.post("/v1/imports", content=f"name,email\nCe De,{email()}\n", headers={
        "Content-Type": "text/csv", "Idempotency-Key": key})
    retried = await crm.client.post("/v1/imports", content=keyed.request.content, headers={
        "Content-Type": "text/csv", "Idempotency-Key": key})
    assert keyed.status_code == 202 and retried.status_code == 200 and retried.json()["id"] == keyed.json()["id"]
    reused = await crm.client.post("/v1/imports", content=text.encode(), headers={"Content-Type": "text/csv",
                                                                                 "Idempotency-Key": key})
    assert reused.status_code == 422 and reused.json()["errors"][0]["type"] == "idempotency_key_reused"


async def test_a_utf16_file_with_bom_uploads_as_a_multipart_form(crm):
    address = email("u")
    content = f"Vorname\tNachname\tfirst name\tlast name\tEmail\nx\ty\tJürgen\tMüller\t{address}\n".encode("utf-16")
    r = await crm.client.post("/v1/imports", files={"file": ("kontakte.csv", content, "text/csv")})
    assert r.status_code == 202, r.text
    assert (r.json()["encoding"], r.json()["delimiter"], r.json()["filename"]) == ("utf-16", "\t", "kontakte.csv")
    assert r.json()["unknown_columns"] == ["Vorname", "Nachname"]
    await finished(crm, r.json()["id"])
    assert (await prospect_by(crm, address))["last_name"] == "Müller"


async def test_files_that_cannot_be_read_are_refused_with_a_clear_4xx_and_nothing_stored(crm):
    def refused(r, status: int, field: str | None = None) -> dict:
        assert r.status_code == status, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        if field:
            assert r.json()["errors"][0]["field"] == field
        return r.json()

    post = lambda body, **kw: crm.client.post("/v1/imports", content=body, headers={"Content-Type": "text/csv"}, **kw)
    unclosed = refused(await post(b'name,email\n"Al Bo,a@example.com\nCe De,c@example.com\n'), 422, "file")
    assert "Line" in unclosed["detail"]
    refused(await post(b"email,company\na@example.com,Acme\n"), 422, "header")
    refused(await post(b"x\x00y\x00,\x00z\x00\n\x00" * 30), 422, "file")  # UTF-16 without a byte order mark
    refused(await post(b""), 422, "file")
    refused(await crm.client.post("/v1/imports", json={"rows": []}), 415)
    refused(await post(b"x" * 10_100_000), 413)
    huge_header = ",".join(f"c{i}" for i in range(1000)) + "\n"
    refused(await post(("name," + huge_header).encode()), 422, "header")
    before = crm.app.state.import_settings
    crm.app.state.import_settings = ImportSettings(max_rows=3, max_bytes=1000)
    try:
        refused(await post(b"name\n" + b"A B\n" * 4), 422, "file")
        refused(await post(b"name\n" + b"A B\n" * 300), 413)
    finally:
        crm.app.state.import_settings = before

    wide = await upload(crm, "name,email\n" + "Al Bo" + "," * 1_000_000 + "\n" + f"Al Bo,{email()}\n")
    done = await finished(crm, wide["id"])
    assert (done["failed"], done["created"]) == (1, 1)
    assert "1000001 values" in (await errors(crm, done["id"]))[0]["message"]


async def test_cancel_stops_an_import_and_a_finished_one_is_409(crm, paused):
    text = "name,email\n" + "".join(f"P{i} Q,{email()}\n" for i in range(5))
    started = await upload(crm, text)
    r = await crm.client.post(f"/v1/imports/{started['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled" and r.json()["processed"] == 0
    assert (await crm.client.post(f"/v1/imports/{started['id']}/cancel")).status_code == 409
    assert not await ImportRunner(crm.app.state.uow_factory, max_rows=100).run_chunk()  # nothing left to do
    anew = await upload(crm, text)  # a cancelled import does not hold its file
    assert anew["id"] != started["id"]
    await crm.client.post(f"/v1/imports/{anew['id']}/cancel")


async def test_workers_of_two_replicas_share_an_import_and_a_restart_resumes_where_it_stopped(crm, paused):
    addresses = [email(f"r{i}") for i in range(450)]
    started = await upload(crm, "name,email\n" + "".join(f"P{i} Q,{a}\n" for i, a in enumerate(addresses)))
    one, two = (ImportRunner(crm.app.state.uow_factory, max_rows=1000) for _ in range(2))
    took = await asyncio.gather(one.run_chunk(), two.run_chunk())  # one holds the import, the other skips it
    assert sorted(took) == [False, True]
    assert (await crm.client.get(f"/v1/imports/{started['id']}")).json()["processed"] == 200
    restarted = ImportRunner(crm.app.state.uow_factory, max_rows=1000)  # a new process: nothing in memory
    assert await restarted.run_chunk() and await two.run_chunk()
    assert not await restarted.run_chunk()
    done = (await crm.client.get(f"/v1/imports/{started['id']}")).json()
    assert (done["status"], done["processed"], done["created"]) == ("completed", 450, 450)
    for a in (addresses[0], addresses[199], addresses[200], addresses[449]):
        await prospect_by(crm, a)  # exactly one each
