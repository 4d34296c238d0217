"""The bench (`tests/bench`, run by `make bench`, never collected) is a package on `tests/`: import it from there."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
