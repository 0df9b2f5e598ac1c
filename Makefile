# Boardsite: `make run` starts the site with demo data, `make test` runs the tests.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements-test.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

run: install
	$(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py demo_data
	@echo "Boardsite on http://$(HOST):$(PORT)/  (log in as demo / boardsite-demo)"
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: install-test
	$(PY) manage.py test --noinput $(TESTS)
