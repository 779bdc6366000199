# Two entry points: `make demo` and `make test`. Both create or reuse .venv.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.reg-eval-installed

.PHONY: venv demo test lint lock clean

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; set PYTHON=/path/to/python3.11" >&2; exit 2; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

demo: venv
	bash scripts/demo.sh

test: venv
	bash scripts/install-browser.sh
	$(BIN)/python -m ruff check reg_eval tests benchmarks baselines
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/python -m ruff check .

# Re-resolve the pins from pyproject.toml (needs the registries).
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/python -m pip install --quiet torch==2.13.0 -e '.[test]'
	{ head -2 requirements.lock; .lockvenv/bin/python -m pip freeze --exclude-editable | sed -e 's/^torch==\([0-9.]*\)+.*/torch==\1/'; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lockvenv

clean:
	rm -rf $(VENV) .pytest_cache
