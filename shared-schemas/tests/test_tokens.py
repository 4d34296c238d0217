"""Signed tokens: purpose-bound, expiring, rotating keys; anything else is refused without a server error."""
from datetime import UTC, datetime, timedelta

import pytest
from talentkit.tokens import TokenExpired, TokenInvalid, TokenSigner

NOW = datetime(2031, 1, 1, tzinfo=UTC)


def test_a_token_carries_its_data_for_its_purpose_until_it_expires():
    signer = TokenSigner([("k1", "secret-one")])
    token = signer.sign("interview-scheduling", {"i": "abc"}, lifetime=timedelta(hours=1), now=NOW)
    assert signer.verify("interview-scheduling", token, now=NOW + timedelta(minutes=59)) == {"i": "abc"}
    with pytest.raises(TokenExpired):
        signer.verify("interview-scheduling", token, now=NOW + timedelta(hours=1))
    with pytest.raises(TokenInvalid):
        signer.verify("csrf", token, now=NOW)


def test_keys_rotate_the_first_signs_and_every_listed_key_verifies():
    old = TokenSigner([("k1", "secret-one")])
    rotated = TokenSigner([("k2", "secret-two"), ("k1", "secret-one")])
    token = old.sign("p", {}, expires_at=NOW + timedelta(days=1))
    assert rotated.verify("p", token, now=NOW) == {}
    assert rotated.sign("p", {}, expires_at=NOW + timedelta(days=1)).startswith("k2.")
    with pytest.raises(TokenInvalid):
        TokenSigner([("k2", "secret-two")]).verify("p", token, now=NOW)  # the old key dropped


@pytest.mark.parametrize("bad", ["", "x", "a.b", "k1.e30.", "k1.e30.xxx", "k1.!!!.abc", "ü.ü.ü", "k1." * 800, "a.b.c.d"])
def test_forged_truncated_or_odd_tokens_are_invalid(bad):
    signer = TokenSigner([("k1", "secret-one")])
    with pytest.raises(TokenInvalid):
        signer.verify("p", bad, now=NOW)
    good = signer.sign("p", {"n": 1}, expires_at=NOW + timedelta(days=1))
    kid, body, mac = good.split(".")
    with pytest.raises(TokenInvalid):
        signer.verify("p", f"{kid}.{body}x.{mac}", now=NOW)
