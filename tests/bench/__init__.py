"""`make bench`: the figures of issue #9 measured on a fresh stack of the bench's own (see `cli`).

Not a test suite: pytest collects nothing here (no `test_*.py`); the helpers' unit tests are in `tests/bench_unit/`."""
