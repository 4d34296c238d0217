"""Every secret setting refuses its development value, or a short value, outside development; in development the
defaults work out of the box."""
from __future__ import annotations

import pytest
from ats.config import DEV_BACKGROUND_CHECK_WEBHOOK_SECRET, DEV_PUBLIC_SIGNING_KEYS
from ats.config import Settings as AtsSettings
from crm.sending.config import SendingSettings
from pydantic import ValidationError
from talentkit.settings import DEV_ADMIN_KEY, DEV_GATEWAY_KEY, DEV_OAUTH_SIGNING_KEYS

STRONG = "s" * 40
PRODUCTION = {"TALENT_ENVIRONMENT": "production", "TALENT_OAUTH_SIGNING_KEYS": f"k1:{STRONG}",
              # the ATS's own secrets: public links and CSRF tokens, the background-check provider's webhooks
              "public_signing_keys": f"k1:{STRONG}", "background_check_webhook_secret": STRONG}


@pytest.mark.parametrize(("env", "value"), [
    ("TALENT_ADMIN_API_KEY", DEV_ADMIN_KEY),
    ("TALENT_GATEWAY_API_KEY", DEV_GATEWAY_KEY),
    ("TALENT_ADMIN_API_KEY", "short-but-not-default"),
    ("TALENT_OAUTH_SIGNING_KEYS", DEV_OAUTH_SIGNING_KEYS),
    ("TALENT_OAUTH_SIGNING_KEYS", f"new:{STRONG},old:short"),
    ("TALENT_OAUTH_SIGNING_KEYS", f"new:{STRONG},{DEV_OAUTH_SIGNING_KEYS}"),
])
def test_a_development_or_short_platform_secret_is_refused_outside_development(env, value):
    with pytest.raises(ValidationError) as err:
        AtsSettings.model_validate({**PRODUCTION, env: value})
    assert env in str(err.value)


@pytest.mark.parametrize(("field", "env", "value"), [
    ("public_signing_keys", "ATS_PUBLIC_SIGNING_KEYS", DEV_PUBLIC_SIGNING_KEYS),
    ("public_signing_keys", "ATS_PUBLIC_SIGNING_KEYS", f"new:{STRONG},old:short"),
    ("background_check_webhook_secret", "ATS_BACKGROUND_CHECK_WEBHOOK_SECRET", DEV_BACKGROUND_CHECK_WEBHOOK_SECRET),
])
def test_the_ats_refuses_its_development_link_and_webhook_secrets_outside_development(field, env, value):
    with pytest.raises(ValidationError) as err:
        AtsSettings.model_validate({**PRODUCTION, field: value})
    assert env in str(err.value)


def test_the_oauth_signing_keys_must_be_set_outside_development():
    with pytest.raises(ValidationError) as err:
        AtsSettings.model_validate({"TALENT_ENVIRONMENT": "production"})
    assert "TALENT_OAUTH_SIGNING_KEYS" in str(err.value)


def test_strong_secrets_are_accepted_outside_development():
    s = AtsSettings.model_validate({**PRODUCTION, "TALENT_ADMIN_API_KEY": STRONG, "TALENT_GATEWAY_API_KEY": "g" * 32})
    assert s.admin_api_key.get_secret_value() == STRONG


def test_the_crm_tracking_secret_refuses_its_default_and_short_values_outside_development(monkeypatch):
    monkeypatch.setenv("TALENT_ENVIRONMENT", "production")
    for value in (None, "dev-tracking-secret", "s3cret"):
        if value is None:
            monkeypatch.delenv("CRM_TRACKING_SECRET", raising=False)
        else:
            monkeypatch.setenv("CRM_TRACKING_SECRET", value)
        with pytest.raises(ValidationError) as err:
            SendingSettings()
        assert "CRM_TRACKING_SECRET" in str(err.value)
    monkeypatch.setenv("CRM_TRACKING_SECRET", STRONG)
    assert SendingSettings().tracking_secret.get_secret_value() == STRONG


def test_the_crm_refuses_to_start_with_the_development_tracking_secret_outside_development(monkeypatch):
    from crm.config import Settings
    from crm.main import create_app

    for name, value in PRODUCTION.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("CRM_TRACKING_SECRET", raising=False)
    with pytest.raises(ValidationError, match="CRM_TRACKING_SECRET"):
        create_app(Settings())


def test_development_runs_on_the_development_values():
    s = AtsSettings.model_validate({"TALENT_ADMIN_API_KEY": DEV_ADMIN_KEY, "TALENT_GATEWAY_API_KEY": DEV_GATEWAY_KEY})
    assert s.environment == "development" and s.oauth_signing_keys.get_secret_value() == DEV_OAUTH_SIGNING_KEYS
    assert SendingSettings.model_validate({}).tracking_secret.get_secret_value() == "dev-tracking-secret"


@pytest.mark.parametrize(("env", "value"), [("TALENT_TRUSTED_PROXIES", "10.0.0.0/8,not-an-ip"),
                                            ("TALENT_OAUTH_SIGNING_KEYS", "no-kid-here")])
def test_malformed_proxy_and_signing_key_settings_are_refused(env, value):
    with pytest.raises(ValidationError, match=env):
        AtsSettings.model_validate({env: value})
