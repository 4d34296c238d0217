"""Credentials: API keys (`/v1/api-keys`), OAuth clients (`/v1/oauth-clients`) and the client-credentials token
endpoint (`POST /oauth/token`). Both kinds live in `api_keys` (column `kind`); a credential may only grant the
scopes it holds itself, and never a higher rate limit than its own."""
from talentkit.keys.routes import TOKEN_PATH, api_keys_router

__all__ = ["TOKEN_PATH", "api_keys_router"]
