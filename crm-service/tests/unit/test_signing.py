"""Public tokens (issue #8, finding 3): each carries a purpose and an expiry, is verified on use, and secrets rotate
(the first signs, every one verifies)."""
from datetime import UTC, datetime, timedelta

import pytest
from crm.signing import LIFETIMES, Purpose, Signer, TokenExpired, TokenInvalid
from hypothesis import given, settings
from hypothesis import strategies as st

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def test_a_token_verifies_for_its_purpose_and_returns_its_data():
    token = Signer(["k1"]).sign(Purpose.CLICK, {"m": "msg", "l": 2}, now=NOW)
    assert Signer(["k1"]).verify(Purpose.CLICK, token, now=NOW) == {"m": "msg", "l": 2}


def test_a_token_for_one_purpose_is_refused_for_every_other():
    token = Signer(["k1"]).sign(Purpose.PUBLIC_CONSENT, {"p": "x"}, now=NOW)
    for other in Purpose:
        if other is not Purpose.PUBLIC_CONSENT:
            with pytest.raises(TokenInvalid):
                Signer(["k1"]).verify(other, token, now=NOW)


def test_a_token_expires_after_the_lifetime_of_its_purpose():
    signer = Signer(["k1"])
    token = signer.sign(Purpose.PUBLIC_UNSUBSCRIBE, {"p": "x"}, now=NOW)
    life = LIFETIMES[Purpose.PUBLIC_UNSUBSCRIBE]
    assert signer.verify(Purpose.PUBLIC_UNSUBSCRIBE, token, now=NOW + life - timedelta(seconds=1)) == {"p": "x"}
    with pytest.raises(TokenExpired):
        signer.verify(Purpose.PUBLIC_UNSUBSCRIBE, token, now=NOW + life)


def test_lifetimes_are_long_for_mail_tracking_and_short_for_forms():
    assert LIFETIMES[Purpose.OPEN] >= timedelta(days=365) and LIFETIMES[Purpose.CLICK] >= timedelta(days=365)
    assert timedelta(days=30) <= LIFETIMES[Purpose.PUBLIC_CONSENT] <= timedelta(days=90)
    assert LIFETIMES[Purpose.CSRF] <= timedelta(hours=12)


def test_rotation_lets_old_and_new_secrets_verify_while_only_the_first_signs():
    old = Signer(["old"]).sign(Purpose.OPEN, {"m": "1"}, now=NOW)
    rotated = Signer(["new", "old"])
    assert rotated.verify(Purpose.OPEN, old, now=NOW) == {"m": "1"}
    assert Signer(["new"]).verify(Purpose.OPEN, rotated.sign(Purpose.OPEN, {"m": "2"}, now=NOW), now=NOW) == {"m": "2"}
    with pytest.raises(TokenInvalid):
        Signer(["new"]).verify(Purpose.OPEN, old, now=NOW)  # the overlap ended: the old secret was dropped


def test_a_forged_token_is_invalid_not_expired():
    forged = Signer(["attacker"]).sign(Purpose.CSRF, {"n": "x"}, now=NOW - timedelta(days=30))
    with pytest.raises(TokenInvalid) as caught:
        Signer(["k1"]).verify(Purpose.CSRF, forged, now=NOW)
    assert not isinstance(caught.value, TokenExpired)  # no oracle about other keys' tokens


def test_no_secret_is_a_configuration_error():
    with pytest.raises(ValueError):
        Signer([])


@settings(deadline=None)  # a shared machine: no per-example deadline
@given(st.text(max_size=300))
def test_any_string_is_refused_as_invalid_and_never_raises_anything_else(raw):
    with pytest.raises(TokenInvalid):
        Signer(["k1"]).verify(Purpose.UNSUBSCRIBE, raw, now=NOW)


@settings(deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40))
def test_a_tampered_signature_with_any_characters_is_invalid(suffix):
    token = Signer(["k1"]).sign(Purpose.UNSUBSCRIBE, {"m": "1"}, now=NOW)
    with pytest.raises(TokenInvalid):
        Signer(["k1"]).verify(Purpose.UNSUBSCRIBE, token + suffix, now=NOW)
