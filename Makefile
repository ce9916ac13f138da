# Two commands do all set-up on a fresh machine:
#   make demo   # venv + install, train the DCGAN (chapter 02) and write samples into runs/dcgan-mnist
#   make test   # venv + install, unit tests and every notebook under nbval in quick mode
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

$(VENV)/installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	touch $@

.PHONY: install demo test
install: $(VENV)/installed

demo: install
	$(PY) -m ganlib train dcgan --max-minutes 5 --out runs/dcgan-mnist
	$(PY) -m ganlib sample runs/dcgan-mnist --n 64 --out runs/dcgan-mnist/samples.png --force
	$(PY) -m ganlib sample runs/dcgan-mnist --n 16 --out runs/dcgan-mnist/walk.gif --force

test: install
	GANLIB_QUICK=1 $(PY) -m pytest
