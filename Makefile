# gridpatrol — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
GP := .venv/bin/gridpatrol
AREA ?= helsinki

.PHONY: setup demo test lint typecheck unit messages clean-instance

setup:
	@scripts/bootstrap.sh

demo: setup
	@$(GP) db start
	@$(GP) db upgrade
	@$(GP) demo load --area $(AREA)
	@$(GP) serve

test: setup lint typecheck unit

lint:
	.venv/bin/ruff check .

typecheck:
	.venv/bin/mypy

unit:
	.venv/bin/pytest

# Re-extract translatable strings into the catalogues (then translate the new ones).
messages:
	.venv/bin/pybabel extract -F babel.cfg -k lazy_gettext -k _l -o app/translations/messages.pot .
	.venv/bin/pybabel update -i app/translations/messages.pot -d app/translations

clean-instance:
	-$(GP) db stop
	rm -rf instance
