"""`python -m sync_gateway <command>`: the operations CLI (see `sync_gateway.cli`)."""
from sync_gateway.cli import main

raise SystemExit(main())
