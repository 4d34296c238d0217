"""Background checks through a provider adapter (the invitation flow: candidate and invitation at the provider,
then signed status webhooks), and the adverse-action process that a `consider` result requires before a hire."""
