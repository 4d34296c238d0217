"""Optimistic concurrency: every record has a version; ETag carries it; updates need a matching If-Match."""
from fastapi import Response

from talentkit.errors import PreconditionFailed, PreconditionRequired


def etag(version: int) -> str:
    """The strong ETag of a record version."""
    return f'"{version}"'


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)


def check_if_match(if_match: str | None, current_version: int) -> None:
    """428 without If-Match, 412 when it names another version (a stale write is never applied)."""
    if not if_match:
        raise PreconditionRequired("Send `If-Match` with the ETag you last read, so a concurrent change is not overwritten.")
    tags = [t.strip() for t in if_match.split(",")]  # If-Match uses strong comparison (RFC 9110): W/"1" never matches
    if "*" in tags or etag(current_version) in tags:
        return
    raise PreconditionFailed("The record changed since you read it; GET it again and retry with its new ETag.",
                             current_etag=etag(current_version), headers={"ETag": etag(current_version)})
