# The two commands of the quick start (README.md): `make run` and `make test`. Each sets itself up.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint types check-imports unit bench bench-quick schema cli-docs clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "jikimi needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

## make run: run jikimi (for now: load, validate and summarise the five example policies)
run: $(STAMP)
	$(BIN)/jikimi demo examples/policies

## make test: lint, format check, strict types, import contracts and the whole test suite
test: lint types check-imports unit

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: $(STAMP)
	$(BIN)/mypy src bench

check-imports: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/python -m pytest

## make bench: the benchmarks (BENCH_ARGS=--quick for a short run)
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick

## make schema: regenerate the shipped JSON Schema of the policy format
schema: $(STAMP)
	$(BIN)/jikimi policy schema -o src/jikimi/policy/policy.schema.json

## make cli-docs: regenerate the CLI reference (docs/cli.md)
cli-docs: $(STAMP)
	$(BIN)/python -c 'from jikimi.adapters.cli import app; from jikimi.adapters.cli.reference import cli_reference; print(cli_reference(app), end="")' > docs/cli.md

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
