# supplyrisk: the two commands a newcomer needs are `make run` and `make test`.
# Each sets itself up on a fresh machine (virtualenv, Python packages, tools) first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test unit integration lint tools bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## The main job: a local Kafka (unless KAFKA_BOOTSTRAP_SERVERS is set), a worker, the scenario.
run: $(STAMP)
	$(BIN)/supplyrisk run

## Everything: unit tests, then integration tests against a real broker and Prometheus.
test: $(STAMP) tools
	$(BIN)/pytest tests scoring stream

unit: $(STAMP) tools
	$(BIN)/pytest tests/unit scoring stream

integration: $(STAMP) tools
	$(BIN)/pytest tests/integration

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Debian packages and checkers the tests use (promtool, prometheus, kcat, kubectl, ...).
tools:
	bash .ci/install-tools

bench: $(STAMP)
	for b in benchmarks/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
