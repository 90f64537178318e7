# Smoke Alarm: two commands on a fresh clone (see README.md).
#   make lab    install everything into .venv and open the course in JupyterLab
#   make test   install everything into .venv and run the whole test suite (what CI runs)
#
#   make wheelhouse              every pinned package as a wheel in wheelhouse/ (for a room without internet)
#   make setup WHEELS=wheelhouse install from that folder alone, no network

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

WHEELS ?=
WHEELHOUSE ?= wheelhouse
# With WHEELS set, pip reads that folder only and never touches the network. With TORCH_CPU=1, pip may also read
# PyTorch's CPU-only index: on Linux it then installs torch's CPU build (its +cpu version sorts above PyPI's).
PIP_SOURCE = $(if $(WHEELS),--no-index --find-links $(WHEELS),$(if $(TORCH_CPU),--extra-index-url https://download.pytorch.org/whl/cpu))

.PHONY: lab test setup wheelhouse learner-notebooks clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(if $(WHEELS),,$(BIN)/python -m pip install --quiet --upgrade pip)
	$(BIN)/python -m pip install --quiet $(PIP_SOURCE) -r requirements.txt
	$(BIN)/python -m pip install --quiet $(PIP_SOURCE) --no-deps -e .
	@touch $@

# Jupyter refuses to run as root unless told; containers often run as root, so allow it there.
ROOT_FLAG = $(if $(filter 0,$(shell id -u)),--allow-root)

lab: setup
	$(BIN)/jupyter lab $(ROOT_FLAG) notebooks/00_start_here.ipynb

test: setup
	$(BIN)/ruff check --quiet --select F,E9 coursekit tests benchmarks scripts
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n 2

# Everything `make setup` installs, as files: copy the folder to each laptop, then `make setup WHEELS=wheelhouse`.
# Wheels are for this platform and Python; build one wheelhouse per kind of laptop in the room.
wheelhouse: setup
	$(BIN)/python -m pip download --quiet -d $(WHEELHOUSE) -r requirements.txt setuptools wheel
	$(BIN)/python -m pip wheel --quiet --no-deps -w $(WHEELHOUSE) .
	@echo "wheelhouse: $$(ls $(WHEELHOUSE) | wc -l) files in $(WHEELHOUSE)/; install offline with: make setup WHEELS=$(WHEELHOUSE)"

# After editing a notebook in notebooks/solutions/: regenerate the learner notebooks and strip outputs.
learner-notebooks: setup
	$(BIN)/coursekit learner-notebooks

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis build *.egg-info
