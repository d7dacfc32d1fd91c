# The two commands a newcomer runs are `make run` and `make test`; both set everything up first.
.PHONY: setup setup-test run test test-unit lint bench lock

setup:
	./scripts/setup.sh

setup-test:
	./scripts/setup.sh --test

run: setup
	.venv/bin/glassmate serve

test: setup-test
	.venv/bin/ruff check src tests bench
	.venv/bin/ruff format --check src tests bench
	.venv/bin/mypy
	.venv/bin/pytest

test-unit:
	.venv/bin/pytest tests/unit

lint:
	.venv/bin/ruff check --fix src tests bench
	.venv/bin/ruff format src tests bench

bench: setup-test
	.venv/bin/python bench/models.py
	.venv/bin/python bench/voice_latency.py
	.venv/bin/python bench/api.py
	.venv/bin/python bench/payments.py
	.venv/bin/python bench/agent.py
	.venv/bin/python bench/hostile.py

lock:
	.venv/bin/pip freeze --exclude-editable | grep -v '^glassmate' > requirements/constraints.txt.new
	{ head -2 requirements/constraints.txt; cat requirements/constraints.txt.new; } > requirements/constraints.txt.tmp
	mv requirements/constraints.txt.tmp requirements/constraints.txt; rm requirements/constraints.txt.new
