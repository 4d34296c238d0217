"""What every public (no login) page of the ATS shares: the HTML layout, CSRF tokens bound to a cookie, the
per-address rate limit of form posts, and the response headers such pages need."""
