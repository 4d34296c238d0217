"""OAuth 2.0 client credentials beside API keys: `POST /oauth/token` issues short-lived JWTs that all three services
verify (one platform-wide key set, rotated with an overlap); RFC 6749 errors; bad tokens get 401 invalid_token."""
from __future__ import annotations

import base64
import time
import uuid
from typing import Any

import httpx
import jwt
from talent_dev.testing import is_problem
from talentkit.settings import DEV_OAUTH_SIGNING_KEYS

DEV_KID, DEV_SECRET = DEV_OAUTH_SIGNING_KEYS.split(":", 1)
FORM = "application/x-www-form-urlencoded"


async def new_client(c: httpx.AsyncClient, kit: Any, *scopes: str, **extra: Any) -> dict[str, Any]:
    r = await c.post("/v1/oauth-clients", json={"name": f"app-{uuid.uuid4().hex[:6]}", "scopes": list(scopes), **extra},
                     headers=kit.ADMIN)
    assert r.status_code == 201, r.text
    assert set(r.json()) >= {"client_id", "client_secret", "scopes", "created_by"} and "key_hash" not in r.json()
    return r.json()


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


async def token(c: httpx.AsyncClient, data: dict[str, str], headers: dict[str, str] | None = None) -> httpx.Response:
    return await c.post("/oauth/token", data=data, headers=headers or {})


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": "talent-platform", "aud": "talent-api", "sub": str(uuid.uuid4()), "iat": now, "exp": now + 600,
            "jti": uuid.uuid4().hex, "scope": "ats:read ats:write", "client_name": "forger", **overrides}


async def test_a_token_issued_by_one_service_is_accepted_by_all_three(replica, kit):
    async with replica("ats") as ats, replica("crm") as crm, replica("gateway") as gw:
        client = await new_client(ats, kit, "ats:read", "crm:read", "gateway:read")
        r = await token(ats, {"grant_type": "client_credentials"}, basic(client["client_id"], client["client_secret"]))
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "no-store"
        issued = r.json()
        assert issued["token_type"] == "Bearer" and issued["expires_in"] == 900
        assert sorted(issued["scope"].split()) == ["ats:read", "crm:read", "gateway:read"]
        decoded = jwt.decode(issued["access_token"], options={"verify_signature": False})
        assert {"iss", "aud", "exp", "iat", "jti", "sub"} <= set(decoded) and decoded["sub"] == client["client_id"]
        assert decoded["exp"] - decoded["iat"] == 900
        auth = kit.bearer(issued["access_token"])
        for service, path in ((ats, "/v1/candidates"), (crm, "/v1/prospects"), (gw, "/v1/links")):
            got = await service.get(path, headers=auth)
            assert got.status_code == 200, (path, got.text)
            assert got.headers["ratelimit-limit"] == "1000"  # the platform default applies to clients too


async def test_the_scope_parameter_narrows_the_token_and_the_form_can_carry_the_credentials(replica, kit):
    async with replica("ats") as ats:
        client = await new_client(ats, kit, "ats:read", "ats:write")
        r = await token(ats, {"grant_type": "client_credentials", "scope": "ats:read", "client_id": client["client_id"],
                              "client_secret": client["client_secret"]})
        assert r.status_code == 200 and r.json()["scope"] == "ats:read", r.text
        auth = kit.bearer(r.json()["access_token"])
        assert (await ats.get("/v1/candidates", headers=auth)).status_code == 200
        body = is_problem(await ats.post("/v1/jobs", json={"title": "No"}, headers=auth), 403)
        assert body["required_scope"] == "ats:write"
        job = await ats.post("/v1/jobs", json={"title": "Yes"}, headers=kit.bearer((await token(ats, {
            "grant_type": "client_credentials"}, basic(client["client_id"], client["client_secret"]))).json()["access_token"]))
        assert job.status_code == 201 and job.json()["created_by"] == f"client:{client['name']}"


async def test_token_errors_follow_rfc_6749(replica, kit):
    async with replica("ats") as ats:
        client = await new_client(ats, kit, "ats:read")
        good = basic(client["client_id"], client["client_secret"])
        cases = [
            (await token(ats, {"grant_type": "password"}, good), 400, "unsupported_grant_type"),
            (await token(ats, {}, good), 400, "invalid_request"),
            (await ats.post("/oauth/token", json={"grant_type": "client_credentials"}, headers=good), 400, "invalid_request"),
            (await token(ats, {"grant_type": "client_credentials", "scope": "ats:read ats:eeo"}, good), 400, "invalid_scope"),
            (await token(ats, {"grant_type": "client_credentials"}, basic(client["client_id"], "wrong")), 401, "invalid_client"),
            (await token(ats, {"grant_type": "client_credentials"}, basic(str(uuid.uuid4()), "x")), 401, "invalid_client"),
            (await token(ats, {"grant_type": "client_credentials"}, basic("not-a-uuid", "x")), 401, "invalid_client"),
            (await token(ats, {"grant_type": "client_credentials"}, {"Authorization": "Basic !!!"}), 401, "invalid_client"),
            (await token(ats, {"grant_type": "client_credentials"}), 401, "invalid_client"),
            (await token(ats, {"grant_type": "client_credentials", "client_id": client["client_id"],
                               "client_secret": client["client_secret"]}, good), 400, "invalid_request"),
        ]
        for r, status, error in cases:
            assert (r.status_code, r.json()["error"]) == (status, error), r.text
            assert r.json()["error_description"]
        assert "basic" in cases[4][0].headers["www-authenticate"].lower()
        # an API key's secret is not a client secret, and a revoked client gets no new token
        key = await kit.new_key(ats, "ats:read")
        assert (await token(ats, {"grant_type": "client_credentials"}, basic(key["id"], key["key"]))).status_code == 401
        assert (await ats.delete(f"/v1/oauth-clients/{client['client_id']}", headers=kit.ADMIN)).status_code == 204
        assert (await token(ats, {"grant_type": "client_credentials"}, good)).json()["error"] == "invalid_client"
        # and a client secret is not an API key
        is_problem(await ats.get("/v1/candidates", headers=kit.bearer(client["client_secret"])), 401)


async def test_forged_expired_misaddressed_unsigned_and_unknown_key_tokens_are_401_invalid_token(replica, kit):
    forged = {
        "wrong secret": jwt.encode(claims(), "x" * 40, algorithm="HS256", headers={"kid": DEV_KID}),
        "expired": jwt.encode(claims(exp=int(time.time()) - 5), DEV_SECRET, algorithm="HS256", headers={"kid": DEV_KID}),
        "wrong audience": jwt.encode(claims(aud="someone-else"), DEV_SECRET, algorithm="HS256", headers={"kid": DEV_KID}),
        "wrong issuer": jwt.encode(claims(iss="evil"), DEV_SECRET, algorithm="HS256", headers={"kid": DEV_KID}),
        "alg none": jwt.encode(claims(), None, algorithm="none", headers={"kid": DEV_KID}),
        "unknown kid": jwt.encode(claims(), DEV_SECRET, algorithm="HS256", headers={"kid": "retired"}),
        "no jti": jwt.encode({k: v for k, v in claims().items() if k != "jti"}, DEV_SECRET, algorithm="HS256",
                             headers={"kid": DEV_KID}),
        "garbage": "a.b.c",
    }
    async with replica("ats") as ats:
        for why, raw in forged.items():
            r = await ats.get("/v1/candidates", headers=kit.bearer(raw))
            body = is_problem(r, 401)
            assert body["error"] == "invalid_token" and 'error="invalid_token"' in r.headers["www-authenticate"], why
        # the same claims signed right are accepted: the checks above are what failed
        good = jwt.encode(claims(), DEV_SECRET, algorithm="HS256", headers={"kid": DEV_KID})
        assert (await ats.get("/v1/candidates", headers=kit.bearer(good))).status_code == 200


async def test_signing_keys_rotate_with_an_overlap(replica, kit):
    old, new = f"old:{'o' * 40}", f"new:{'n' * 40}"
    async with (replica("ats", TALENT_OAUTH_SIGNING_KEYS=old) as before, replica("crm", TALENT_OAUTH_SIGNING_KEYS=f"{new},{old}") as during,
                replica("ats", TALENT_OAUTH_SIGNING_KEYS=new) as after):
        client = await new_client(before, kit, "ats:read", "crm:read")
        issued = (await token(before, {"grant_type": "client_credentials"},
                              basic(client["client_id"], client["client_secret"]))).json()["access_token"]
        assert jwt.get_unverified_header(issued)["kid"] == "old"
        assert (await during.get("/v1/prospects", headers=kit.bearer(issued))).status_code == 200
        assert is_problem(await after.get("/v1/candidates", headers=kit.bearer(issued)), 401)["error"] == "invalid_token"


async def test_openapi_declares_api_keys_and_oauth_client_credentials(replica):
    async with replica("ats") as ats:
        doc = (await ats.get("/openapi.json")).json()
        schemes = doc["components"]["securitySchemes"]
        assert schemes["apiKey"]["scheme"] == "bearer"
        assert schemes["oauth2"]["flows"]["clientCredentials"]["tokenUrl"] == "/oauth/token"
        assert "ats:write" in schemes["oauth2"]["flows"]["clientCredentials"]["scopes"]
        assert doc["paths"]["/v1/jobs"]["post"]["security"] == [{"apiKey": []}, {"oauth2": ["ats:write"]}]
        assert "application/x-www-form-urlencoded" in doc["paths"]["/oauth/token"]["post"]["requestBody"]["content"]
