"""Work done after a commit, never inside the transaction that asked for it: sending mail, handing a hire to the
HRIS, opening a background check. A change enqueues a task in its own transaction; the worker claims it, does it,
and retries with backoff until it succeeds or gives up."""
