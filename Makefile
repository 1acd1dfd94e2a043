# gridpatrol — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
GP := .venv/bin/gridpatrol
AREA ?= helsinki
SOAK_MINUTES ?= 10

.PHONY: setup demo test lint typecheck unit soak soak-short bench messages clean-instance

setup:
	@scripts/bootstrap.sh

demo: setup
	@$(GP) demo run --area $(AREA) $(DEMO_FLAGS)

test: setup lint typecheck unit soak-short

lint:
	.venv/bin/ruff check .

typecheck:
	.venv/bin/mypy

unit:
	.venv/bin/pytest

# Soak and faults on the real server (loopback only): 50 consoles, 200 positions/s, a red
# alert every 5 s, the database restarted, a camera stream that hangs; exits 1 on a failed
# check. `make test` runs the 2-minute version.
soak: setup
	cd benchmarks && ../.venv/bin/python soak.py --minutes $(SOAK_MINUTES)

soak-short:
	cd benchmarks && ../.venv/bin/python soak.py --minutes 2

# Benchmarks against the peers named in the issues (need ../shared/data; minutes).
bench: setup
	@.venv/bin/gridpatrol db start >/dev/null
	cd benchmarks && ../.venv/bin/python osm_import.py
	cd benchmarks && ../.venv/bin/python routing_engines.py
	cd benchmarks && ../.venv/bin/python tiles.py
	cd benchmarks && ../.venv/bin/python labels.py
	cd benchmarks && ../.venv/bin/python map_page.py
	cd benchmarks && ../.venv/bin/python alerts.py
	cd benchmarks && ../.venv/bin/python catalog_import.py
	cd benchmarks && ../.venv/bin/python hotspots.py
	cd benchmarks && ../.venv/bin/python gi_star.py
	cd benchmarks && ../.venv/bin/python near_repeat.py
	cd benchmarks && ../.venv/bin/python scale_out.py
	cd benchmarks && ../.venv/bin/python patrol_solvers.py
	cd benchmarks && ../.venv/bin/python audit_chain.py
	cd benchmarks && ../.venv/bin/python events.py
	cd benchmarks && ../.venv/bin/python ingest.py
	cd benchmarks && ../.venv/bin/python ingest_live.py
	cd benchmarks && ../.venv/bin/python ingest_restart.py
	cd benchmarks && ../.venv/bin/python jobs.py
	cd benchmarks && ../.venv/bin/python camera_health.py
	cd benchmarks && ../.venv/bin/python live_video.py
	cd benchmarks && ../.venv/bin/python incident_stats.py
	cd benchmarks && ../.venv/bin/python tour_propose.py
	cd benchmarks && ../.venv/bin/python passages.py
	cd benchmarks && ../.venv/bin/python uptime_report.py

# Sync the zh_CN catalogue with the strings in app/ (NEW=file.json merges translations).
messages:
	.venv/bin/python scripts/translations.py $(NEW)

clean-instance:
	-$(GP) db stop
	rm -rf instance
