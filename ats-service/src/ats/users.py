"""Who a request acts as, for the rules that bind an action to a person (approving an offer, filing a scorecard,
reading private notes)."""
from talentkit.auth import RequestContext


def acting_user(ctx: RequestContext) -> str:
    """The On-Behalf-Of user (lower-cased, as interviewers and approvers are stored) when the key acts for a user;
    otherwise the key's own principal id (`admin`, `key:<name>`)."""
    user = ctx.principal.on_behalf_of
    return user.strip().lower() if user and user.strip() else ctx.principal.id
