# Two commands do all set-up on a fresh machine:
#   make demo   # venv + install, train the DCGAN (chapter 02) and write samples into runs/dcgan-mnist
#   make test   # venv + install, unit tests and every notebook under nbval in quick mode
# and one more for maintainers: `make test-colab` runs the unit tests under Colab's pinned versions.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Colab's runtime today (googlecolab/backend-info): Python 3.12, TensorFlow 2.20.0, Keras 3.13.2
COLAB_PYTHON ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12) $(shell command -v python3.12))
COLAB_VENV ?= .venv-colab
COLAB_PINS ?= tensorflow==2.20.0 keras==3.13.2

$(VENV)/installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	touch $@

$(COLAB_VENV)/installed: requirements.txt pyproject.toml
	@test -n "$(COLAB_PYTHON)" || { echo "test-colab needs Python 3.12 (pyenv install 3.12, or COLAB_PYTHON=...)"; exit 1; }
	$(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install -r requirements.txt $(COLAB_PINS)
	touch $@

.PHONY: install demo test test-colab
install: $(VENV)/installed

demo: install
	$(PY) -m ganlib train dcgan --max-minutes 5 --out runs/dcgan-mnist
	$(PY) -m ganlib sample runs/dcgan-mnist --n 64 --out runs/dcgan-mnist/samples.png --force
	$(PY) -m ganlib sample runs/dcgan-mnist --n 16 --out runs/dcgan-mnist/walk.gif --force

test: install
	GANLIB_QUICK=1 $(PY) -m pytest

# .ci/run runs this beside `make test` and keeps both within 15 minutes on 2 cores by leaving out the end-to-end
# tests (whole runs in fresh processes, which `make test` runs); the GitHub workflow runs all of them on Colab's pins.
COLAB_PYTEST_ARGS ?= -m "not end_to_end"
test-colab: $(COLAB_VENV)/installed
	GANLIB_QUICK=1 $(COLAB_VENV)/bin/python -m pytest tests $(COLAB_PYTEST_ARGS)
