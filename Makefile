# gridpatrol — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
GP := .venv/bin/gridpatrol
AREA ?= helsinki

.PHONY: setup demo test lint typecheck unit bench messages clean-instance

setup:
	@scripts/bootstrap.sh

demo: setup
	@$(GP) demo run --area $(AREA)

test: setup lint typecheck unit

lint:
	.venv/bin/ruff check .

typecheck:
	.venv/bin/mypy

unit:
	.venv/bin/pytest

# Benchmarks against the peers named in the issues (need ../shared/data; minutes).
bench: setup
	@.venv/bin/gridpatrol db start >/dev/null
	cd benchmarks && ../.venv/bin/python osm_import.py
	cd benchmarks && ../.venv/bin/python routing_engines.py
	cd benchmarks && ../.venv/bin/python tiles.py
	cd benchmarks && ../.venv/bin/python map_page.py
	cd benchmarks && ../.venv/bin/python alerts.py
	cd benchmarks && ../.venv/bin/python hotspots.py
	cd benchmarks && ../.venv/bin/python gi_star.py
	cd benchmarks && ../.venv/bin/python near_repeat.py
	cd benchmarks && ../.venv/bin/python scale_out.py
	cd benchmarks && ../.venv/bin/python patrol_solvers.py
	cd benchmarks && ../.venv/bin/python audit_chain.py

# Sync the zh_CN catalogue with the strings in app/ (NEW=file.json merges translations).
messages:
	.venv/bin/python scripts/translations.py $(NEW)

clean-instance:
	-$(GP) db stop
	rm -rf instance
