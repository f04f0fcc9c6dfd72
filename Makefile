# Two commands matter on a fresh clone: `make demo` and `make test`.
# Another interpreter, in a venv of its own: make test PYTHON=python3.13 VENV=.venv-3.13
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The package with every optional part, and the developer groups of pyproject.toml.
INSTALL := -e '.[redis,oauth,async,otel,compression,socks,jwt,curl]' --group test --group demo

.PHONY: demo test lint typecheck pytest system-deps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=25.1'
	$(BIN)/python -m pip install --quiet $(INSTALL)
	touch $(STAMP)

# The Redis tests need a real redis-server (Debian's package). Installed when we are root;
# otherwise those tests skip with a message (under CI=true they fail instead).
system-deps:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing redis-server (Debian package) for the Redis tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  else \
	    echo "note: redis-server is missing and cannot be installed here; Redis tests will skip"; \
	  fi; }

demo: $(STAMP)
	$(BIN)/python examples/demo.py

lint: $(STAMP)
	$(BIN)/python -m ruff check .

typecheck: $(STAMP)
	$(BIN)/python -m mypy --strict src examples
	$(BIN)/pyright --pythonpath $(BIN)/python src examples

pytest: $(STAMP) system-deps
	$(BIN)/python -m pytest

test: lint typecheck pytest

# Side-by-side benchmarks (issue figures come from these). The original apiclient 1.0.4 is
# installed apart, in bench/.contenders, because it has the same import name as ours.
bench: $(STAMP) system-deps
	$(BIN)/python -m pip install --quiet $(INSTALL) --group bench
	test -d bench/.contenders/apiclient-1.0.4 || $(BIN)/python -m pip install --quiet --no-deps \
	  --target bench/.contenders/apiclient-1.0.4 'apiclient==1.0.4'
	$(BIN)/python bench/compare.py
	command -v valgrind >/dev/null && $(BIN)/python bench/instructions.py || true
	$(BIN)/python bench/async_bench.py
	$(BIN)/python bench/ratelimit.py
	$(BIN)/python bench/models.py
	$(BIN)/python bench/otel.py

clean:
	rm -rf .venv .venv-* .mypy_cache .ruff_cache .pytest_cache .hypothesis
