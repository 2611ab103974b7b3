# capcost: `make run` serves the app on the demo data; `make test` runs lint, types and tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= data/capcost.duckdb
PORT ?= 8501
# Loopback only: the app has no login and uploads into the database. `make run ADDRESS=0.0.0.0`
# serves every interface (see README, "Serving beyond this machine").
ADDRESS ?= 127.0.0.1
# pytest-xdist workers for `make test`: the suite is ~45 min on one core; `make test JOBS=1` runs it
# in one process. A file's tests stay on one worker (--dist loadfile), so a module's fixture (the
# goldens' CLI run, a full refresh) is built once, not once per worker.
JOBS ?= 2
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint format bench demo golden install install-dev clean

run: $(RUN_STAMP) $(DB)
	$(BIN)/streamlit run app/streamlit_app.py --server.headless true --server.port $(PORT) \
		--server.address $(ADDRESS)

test: $(DEV_STAMP) lint
	$(BIN)/pytest $(if $(filter 1,$(JOBS)),,-n $(JOBS) --dist loadfile)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(DEV_STAMP)
	@set -e; for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f; done

# Rewrites tests/golden/out after a deliberate change of a command's output; read the git diff.
golden: $(DEV_STAMP)
	OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 $(BIN)/python -m tests.golden.regen

demo: $(RUN_STAMP)
	$(BIN)/capcost demo --db $(DB)

install: $(RUN_STAMP)
install-dev: $(DEV_STAMP)

$(DB): | $(RUN_STAMP)
	$(BIN)/capcost demo --db $(DB)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Installs come from the pinned, compiled requirement files so a fresh machine gets the
# versions the suite was run with; the stamps make repeat runs instant.
$(RUN_STAMP): requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(DEV_STAMP): requirements-dev.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@ $(RUN_STAMP)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache tests/artifacts
