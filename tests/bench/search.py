"""Search section (issue #12, `make bench-search`): 100,000 synthetic prospects and 100,000 candidates with resume
text (faker), seeded in bulk SQL into the running stack's databases; then, each beside a bare baseline measured in
the same run:

- ATS full-text and CRM Boolean search p95 through the APIs, beside a bare `tsquery` query (asyncpg);
- semantic top-10 p99 on the HNSW index with recall@10, beside the exact scan (`ORDER BY embedding <=> $1 LIMIT 10`);
- hybrid p95 through the API, beside the bare tsquery plus the bare HNSW query;
- embedding throughput (profiles/s of the model in this process) and the HNSW index build time;
- resume parsing throughput (pages/s of real PDFs: read, fields, skills), beside pypdf's text extraction alone.

The model embeds `distinct_texts` different profile texts (its throughput is measured on them); each prospect gets
the vector of one of them plus a small random perturbation (renormalised), so the index holds 100,000 distinct
points shaped like real embeddings without an hour of CPU on two cores."""
from __future__ import annotations

import asyncio
import io
import random
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import numpy as np
from pgvector.asyncpg import register_vector

from .context import Context
from .report import Row
from .seed import _pg_url
from .stack import log
from .stats import percentile

SKILLS = ["Python", "Java", "Go", "Kubernetes", "AWS", "Terraform", "React", "TypeScript", "PostgreSQL", "Kafka",
          "Docker", "Django", "Spark", "Machine Learning", "Figma", "Salesforce", "SQL", "Excel", "Nursing", "Sales",
          "Rust", "C++", "Scala", "Airflow", "Helm", "GraphQL", "Node.js", "Swift", "Kotlin", "Tableau"]
TITLES = ["Software Engineer", "Senior Backend Engineer", "Data Scientist", "Site Reliability Engineer",
          "Product Manager", "UX Designer", "Account Executive", "Registered Nurse", "Data Engineer", "Frontend Developer",
          "DevOps Engineer", "Machine Learning Engineer", "Engineering Manager", "QA Engineer", "Sales Manager"]
BOOLEAN = ["python AND (kubernetes OR aws) -java", '"data scientist" python', "engineer* AND postgresql",
           "(react OR typescript) frontend", "skill:kafka title:engineer", "nurse OR sales", "terraform -intern"]
SEMANTIC = ["someone who runs container platforms in production", "builds machine learning models for predictions",
            "designs user interfaces and prototypes", "closes enterprise software deals", "cares for hospital patients",
            "writes backend services and APIs", "analyses data with SQL and dashboards", "mobile app developer for iPhone"]
BATCH = 10_000


def _profile(fake: Any, rnd: random.Random) -> dict[str, Any]:
    skills = rnd.sample(SKILLS, rnd.randint(2, 5))
    title = rnd.choice(TITLES)
    return {"title": title, "skills": skills, "company": fake.company(), "city": fake.city(),
            "headline": f"{title} working with {', '.join(skills[:2])}"}


def _text(p: dict[str, Any]) -> str:
    return f"{p['title']}. {p['headline']}. Skills: {', '.join(p['skills'])}. At {p['company']}"


async def _seed_prospects(url: str, profiles: list[dict[str, Any]], fake: Any) -> float:
    now = datetime.now(UTC)
    conn = await asyncpg.connect(_pg_url(url))
    t0 = time.monotonic()
    try:
        # The bench brings the vectors (see the docstring): no embedding requests for the seeded rows.
        await conn.execute("ALTER TABLE prospects DISABLE TRIGGER prospect_embedding_request")
        cols = ["id", "first_name", "last_name", "emails", "phones", "location", "headline", "tags", "source",
                "field_times", "version", "created_at", "updated_at", "created_by", "updated_by", "current_company",
                "current_title", "skills", "links", "status"]
        for start in range(0, len(profiles), BATCH):
            rows = [(p["id"], fake.first_name(), fake.last_name(), [f"{p['id']}@bench.example.com"], [], p["city"],
                     p["headline"], ["bench-search"], "sourced", "{}", 1, now, now, "bench", "bench", p["company"],
                     p["title"], p["skills"], [], "active") for p in profiles[start:start + BATCH]]
            await conn.copy_records_to_table("prospects", records=rows, columns=cols)
    finally:
        await conn.execute("ALTER TABLE prospects ENABLE TRIGGER prospect_embedding_request")
        await conn.close()
    return time.monotonic() - t0


async def _seed_candidates(url: str, n: int, fake: Any, rnd: random.Random) -> float:
    now = datetime.now(UTC)
    conn = await asyncpg.connect(_pg_url(url))
    t0 = time.monotonic()
    try:
        for start in range(0, n, BATCH):
            people, resumes = [], []
            for _ in range(min(BATCH, n - start)):
                cid, p = uuid.uuid4(), _profile(fake, rnd)
                people.append((cid, fake.first_name(), fake.last_name(), [f"{cid}@bench.example.com"], [], p["city"],
                               p["headline"], ["bench-search"], "bench", "{}", 1, now, now, "bench", "bench", []))
                body = f"{p['title']} at {p['company']}\n{fake.paragraph(nb_sentences=6)}\nSkills: {', '.join(p['skills'])}\n" \
                       f"{fake.paragraph(nb_sentences=8)}"
                resumes.append((uuid.uuid4(), cid, uuid.uuid4().hex * 2, "text/plain", len(body), body, 1, "{}",
                                p["skills"], [p["title"]], [p["company"]], float(rnd.randint(1, 20)), 1, now, "bench"))
            await conn.copy_records_to_table("candidates", records=people, columns=[
                "id", "first_name", "last_name", "emails", "phones", "location", "headline", "tags", "source",
                "field_times", "version", "created_at", "updated_at", "created_by", "updated_by", "links"])
            await conn.copy_records_to_table("resumes", records=resumes, columns=[
                "id", "candidate_id", "sha256", "content_type", "size_bytes", "text", "pages", "fields", "skills",
                "titles", "companies", "years_of_experience", "version", "created_at", "created_by"])
        await conn.execute("ANALYZE candidates; ANALYZE resumes; ANALYZE candidate_search; "
                           "ANALYZE candidate_search_profiles")
    finally:
        await conn.close()
    return time.monotonic() - t0


async def _seed_vectors(url: str, ids: list[uuid.UUID], base: np.ndarray, rnd: np.random.Generator) -> float:
    """COPY the perturbed vectors with the HNSW index dropped, then build it; returns the build time."""
    now = datetime.now(UTC)
    conn = await asyncpg.connect(_pg_url(url))
    await register_vector(conn)
    try:
        await conn.execute("DROP INDEX IF EXISTS ix_prospect_embeddings_hnsw")
        await conn.execute("DELETE FROM prospect_embeddings WHERE prospect_id = ANY($1::uuid[])", ids)
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            vecs = base[np.arange(start, start + len(chunk)) % len(base)] + rnd.normal(0, 0.015, (len(chunk), base.shape[1]))
            vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
            await conn.copy_records_to_table("prospect_embeddings", columns=[
                "prospect_id", "embedding", "text_sha256", "model", "embedded_at"],
                records=[(pid, v, "bench", "all-MiniLM-L6-v2", now) for pid, v in zip(chunk, vecs)])
        await conn.execute("SET maintenance_work_mem = '512MB'")
        t0 = time.monotonic()
        await conn.execute("CREATE INDEX ix_prospect_embeddings_hnsw ON prospect_embeddings "
                           "USING hnsw (embedding vector_cosine_ops)")
        built = time.monotonic() - t0
        await conn.execute("ANALYZE prospects; ANALYZE prospect_search; ANALYZE prospect_embeddings")
        return built
    finally:
        await conn.close()


async def _timed(calls: list[Any]) -> list[float]:
    out = []
    for call in calls:
        t0 = time.perf_counter()
        await call()
        out.append(time.perf_counter() - t0)
    return out


async def _api(client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> None:
    r = await client.get(path, params=params)
    if r.status_code != 200:
        raise RuntimeError(f"{path} {params}: {r.status_code} {r.text[:200]}")


async def _vector_queries(url: str, queries: np.ndarray, *, exact: bool, ef_search: int = 100) -> tuple[list[float], list[list[Any]]]:
    conn = await asyncpg.connect(_pg_url(url))
    await register_vector(conn)
    latencies, results = [], []
    try:
        for q in queries:
            async with conn.transaction():
                if exact:
                    await conn.execute("SET LOCAL enable_indexscan = off")
                else:
                    await conn.execute(f"SET LOCAL hnsw.ef_search = {ef_search}")
                t0 = time.perf_counter()
                rows = await conn.fetch("SELECT prospect_id FROM prospect_embeddings ORDER BY embedding <=> $1 "
                                        "LIMIT 10", q.astype(np.float32))
                latencies.append(time.perf_counter() - t0)
            results.append([r[0] for r in rows])
    finally:
        await conn.close()
    return latencies, results


async def _bare_tsquery(url: str, table: str, document: str, id_col: str, words: list[str]) -> list[float]:
    conn = await asyncpg.connect(_pg_url(url))
    try:
        out = []
        for w in words:
            t0 = time.perf_counter()
            await conn.fetch(f"SELECT {id_col} FROM {table} WHERE {document} @@ plainto_tsquery('english', $1) "
                             f"ORDER BY ts_rank({document}, plainto_tsquery('english', $1)) DESC LIMIT 20", w)
            out.append(time.perf_counter() - t0)
        return out
    finally:
        await conn.close()


def _resume_pdfs(fake: Any, rnd: random.Random, n: int) -> list[bytes]:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = []
    for _ in range(n):
        p = _profile(fake, rnd)
        buf = io.BytesIO()
        c = canvas.Canvas(buf, pagesize=A4)
        for page in range(2):
            y = 800
            lines = [f"{p['title']} at {p['company']}  2018 - Present", f"{fake.email()} | {fake.phone_number()}",
                     f"Skills: {', '.join(p['skills'])}"] if page == 0 else []
            lines += [fake.sentence(nb_words=12) for _ in range(35)]
            for line in lines:
                c.drawString(40, y, line[:110])
                y -= 20
            c.showPage()
        c.save()
        out.append(buf.getvalue())
    return out


def _parse_all(pdfs: list[bytes]) -> tuple[float, int]:
    from ats.resumes.extract import extract
    from ats.resumes.files import Kind
    from ats.resumes.parsing import parse

    t0, pages = time.perf_counter(), 0
    for content in pdfs:
        read = extract(content, Kind.PDF)
        parse(read.text)
        pages += read.pages
    return time.perf_counter() - t0, pages


def _pypdf_only(pdfs: list[bytes]) -> float:
    from pypdf import PdfReader

    t0 = time.perf_counter()
    for content in pdfs:
        for page in PdfReader(io.BytesIO(content)).pages:
            page.extract_text()
    return time.perf_counter() - t0


async def run(ctx: Context) -> None:
    from faker import Faker
    from talentkit.embeddings import embedder

    s, d = ctx.stack, ctx.durations
    fake, rnd, nrnd = Faker(), random.Random(12), np.random.default_rng(12)
    Faker.seed(12)
    n, distinct, queries = d.search_people, d.search_distinct_texts, d.search_queries
    profiles = [{"id": uuid.uuid4(), **_profile(fake, rnd)} for _ in range(n)]
    seconds = await _seed_prospects(s.db_urls["crm"], profiles, fake)
    log(f"search: {n:,} prospects seeded in {seconds:.0f} s")
    texts = [_text(p) for p in profiles[:distinct]]
    model = embedder()
    t0 = time.perf_counter()
    base = await asyncio.to_thread(model.embed, texts)
    embed_rate = distinct / (time.perf_counter() - t0)
    ctx.add(Row("search", "embedding throughput (all-MiniLM-L6-v2, numpy, this process)", embed_rate, "profiles/s",
                note=f"{distinct:,} distinct profile texts"))
    build = await _seed_vectors(s.db_urls["crm"], [p["id"] for p in profiles], base, nrnd)
    ctx.add(Row("search", f"HNSW index build ({n:,} x 384 dims, m=16, ef_construction=64)", build, "s",
                higher_is_better=False))
    seconds = await _seed_candidates(s.db_urls["ats"], n, fake, rnd)
    ctx.add(Row("search", f"candidates + resume text seeded, search documents by trigger ({n:,})", n / seconds, "rows/s"))

    words = [rnd.choice(SKILLS + TITLES).split()[0].lower() for _ in range(queries)]
    async with httpx.AsyncClient(headers=s.headers, timeout=30) as client:
        ats_url, crm_url = s.url("ats"), s.url("crm")
        await _api(client, f"{ats_url}/v1/search/candidates", {"q": "python"})  # warm
        ats = await _timed([lambda w=w: _api(client, f"{ats_url}/v1/search/candidates", {"q": w, "limit": 20}) for w in words])
        bare_ats = await _bare_tsquery(s.db_urls["ats"], "candidate_search", "document", "candidate_id", words)
        ctx.add(Row("search", "ATS full-text search p95 (GET /v1/search/candidates, with snippets)", percentile(ats, 95), "ms",
                    baseline=percentile(bare_ats, 95), baseline_label="bare tsquery (asyncpg)", target=0.050,
                    higher_is_better=False))
        exprs = [BOOLEAN[i % len(BOOLEAN)] for i in range(queries)]
        crm = await _timed([lambda q=q: _api(client, f"{crm_url}/v1/search/prospects", {"q": q, "limit": 20}) for q in exprs])
        bare_crm = await _bare_tsquery(s.db_urls["crm"], "prospects", "search_document", "id", words)
        ctx.add(Row("search", "CRM Boolean search p95 (GET /v1/search/prospects?mode=boolean)", percentile(crm, 95), "ms",
                    baseline=percentile(bare_crm, 95), baseline_label="bare tsquery (asyncpg)", target=0.050,
                    higher_is_better=False))
        phrases = [SEMANTIC[i % len(SEMANTIC)] for i in range(queries)]
        hybrid = await _timed([lambda q=q: _api(client, f"{crm_url}/v1/search/prospects",
                                                {"q": q, "mode": "hybrid", "limit": 20}) for q in phrases])
        semantic_api = await _timed([lambda q=q: _api(client, f"{crm_url}/v1/search/prospects",
                                                      {"q": q, "mode": "semantic", "limit": 10}) for q in phrases])

    query_vectors = base[nrnd.integers(0, distinct, queries)] + nrnd.normal(0, 0.03, (queries, base.shape[1]))
    query_vectors /= np.linalg.norm(query_vectors, axis=1, keepdims=True)
    ann, ann_ids = await _vector_queries(s.db_urls["crm"], query_vectors, exact=False)
    exact, exact_ids = await _vector_queries(s.db_urls["crm"], query_vectors[: max(20, queries // 5)], exact=True)
    recall = float(np.mean([len(set(a) & set(e)) / 10 for a, e in zip(ann_ids, exact_ids)]))
    ctx.add(Row("search", "semantic top-10 p99 (HNSW, ef_search=100)", percentile(ann, 99), "ms",
                baseline=percentile(exact, 99), baseline_label="exact scan ORDER BY embedding <=> $1 LIMIT 10",
                target=0.030, higher_is_better=False))
    ctx.add(Row("search", "semantic recall@10 against the exact scan", recall, "", target=0.95))
    ctx.add(Row("search", "semantic search p99 through the API (embeds the query first)", percentile(semantic_api, 99), "ms",
                baseline=percentile(ann, 99), baseline_label="the HNSW query alone", higher_is_better=False))
    bare_hybrid = [a + b for a, b in zip(bare_crm, ann)]
    ctx.add(Row("search", "hybrid search p95 (GET /v1/search/prospects?mode=hybrid, RRF)", percentile(hybrid, 95), "ms",
                baseline=percentile(bare_hybrid, 95), baseline_label="bare tsquery + bare HNSW query", target=0.080,
                higher_is_better=False))

    pdfs = await asyncio.to_thread(_resume_pdfs, fake, rnd, d.search_resumes)
    took, pages = await asyncio.to_thread(_parse_all, pdfs)
    bare = await asyncio.to_thread(_pypdf_only, pdfs)
    ctx.add(Row("search", "resume parsing (PDF text, fields, skills)", pages / took, "pages/s",
                baseline=pages / bare, baseline_label="pypdf text extraction alone"))
    ctx.details["search"] = {"people": n, "distinct_texts": distinct, "queries": queries, "recall_at_10": recall,
                             "ann_p50": percentile(ann, 50), "exact_p50": percentile(exact, 50)}
