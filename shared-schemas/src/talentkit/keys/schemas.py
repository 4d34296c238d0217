"""What the credential endpoints take and give."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from talentkit.auth import ALL_SCOPES

TOKEN_PATH = "/oauth/token"
MAX_RATE_LIMIT = 1_000_000


class CredentialCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="What the credential is for, e.g. `careers-site`.")
    scopes: list[str] = Field(min_length=1, description=f"Scopes to grant, from: {', '.join(ALL_SCOPES)}. Only scopes "
                              "the calling credential holds itself can be granted.")
    rate_limit: int | None = Field(None, ge=1, le=MAX_RATE_LIMIT, description="Requests per minute per service; "
                                   "omitted: the platform default (`TALENT_RATE_LIMIT_PER_MINUTE`). At most the "
                                   "calling credential's own limit.")


class _CredentialRead(BaseModel):
    name: str
    scopes: list[str]
    rate_limit: int | None = Field(None, description="Requests per minute; null: the platform default.")
    created_by: str
    created_at: datetime
    revoked_at: datetime | None = None


class ApiKeyRead(_CredentialRead):
    id: str
    prefix: str = Field(description="First characters of the key, to recognise it in lists.")


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret key. Shown once: store it now.")


class OAuthClientRead(_CredentialRead):
    client_id: str


class OAuthClientCreated(OAuthClientRead):
    client_secret: str = Field(description=f"The client secret. Shown once: store it now. Exchange it at `{TOKEN_PATH}`.")


class TokenResponse(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer <access_token>` to any of the services.")
    token_type: str = Field("Bearer")
    expires_in: int = Field(description="Seconds until the token expires; then request a new one.")
    scope: str = Field(description="The granted scopes, space-separated.")


class TokenError(BaseModel):
    error: str = Field(description="`invalid_request`, `invalid_client`, `invalid_scope` or `unsupported_grant_type` "
                       "(RFC 6749 §5.2).")
    error_description: str
