# Two commands: `make demo` (set up and run the product on the embedded default) and
# `make test` (set up and run the whole suite). Both are safe to run again.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
PYTEST_WORKERS ?= auto

.PHONY: demo test install npm translations system-deps lint typecheck pytest clean-demo demo-chain

demo: install npm translations
	$(BIN)/python -m devchain.demochain start
	$(BIN)/ledger db upgrade
	$(BIN)/ledger demo load
	$(BIN)/ledger rates import ledger/demo/rates.csv
	$(BIN)/ledger sync
	@echo "Public site: http://127.0.0.1:$(PORT)/  Organiser console: http://127.0.0.1:$(PORT)/console/"
	@$(BIN)/ledger users list | grep -q . || echo "No console user yet (there is no default one): $(BIN)/ledger users add NAME --role admin"
	$(BIN)/ledger serve --port $(PORT)

test: install npm translations system-deps lint typecheck pytest

install: $(VENV)/.stamp-install

$(VENV)/.stamp-install: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

npm: node_modules/.stamp-npm

node_modules/.stamp-npm: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

translations: install
	@$(BIN)/pybabel compile --use-fuzzy -d web/translations >/dev/null

system-deps:
	@tools/ensure-system-packages

lint: install
	$(BIN)/ruff check ledger web cli devchain tests bench

typecheck: install
	$(BIN)/mypy

pytest: install npm translations
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

# Start the demo chain (anvil on port 8545, state in instance/demo-chain) unless it runs; the
# first start deploys the contracts and plays the demo story. Stop it with
# `$(BIN)/python -m devchain.demochain stop`.
demo-chain: install npm
	$(BIN)/python -m devchain.demochain start

# Remove the demo's data (database, secret key, demo chain state) so the next `make demo` starts
# afresh. The chain is stopped first: a running anvil saves its state on exit and every few
# seconds, and could write it back into a new instance/.
clean-demo:
	-$(BIN)/python -m devchain.demochain stop
	rm -rf instance
