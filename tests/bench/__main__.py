"""`PYTHONPATH=tests python -m bench [--quick] [--only=api,sync] [--repeat N]`."""
import sys

from .cli import main

sys.exit(main())
