"""Public, server-rendered pages (no login): talent-community sign-up, unsubscribe and consent renewal."""
