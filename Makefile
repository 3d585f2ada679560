# The two commands of the README's quick start: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Install the Space's and the runner's requirements and start the app on the embedded local store
# (./data), with a local worker that benchmarks submissions on the CPU.
run: $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt -r runner/torch-cpu.txt -r runner/requirements.txt
	$(BIN)/python app.py

# Install the test dependencies (the runner's benchmark stack, headless Chromium for the browser
# tests, fonts for the labels), lint, run every test.
test: $(BIN)/python
	bash scripts/install-system-deps.sh
	$(BIN)/pip install -q -r requirements-test.txt -r runner/torch-cpu.txt -r runner/requirements.txt
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

bench: $(BIN)/python
	$(BIN)/pip install -q -r requirements-test.txt
	$(BIN)/python bench/leaderboard_read.py
	$(BIN)/python bench/leaderboard_views.py
	$(BIN)/python bench/label_render.py
	$(BIN)/python bench/local_commits.py
	$(BIN)/python bench/submission_load.py
