# Two commands on a fresh machine: `make run` serves the app, `make test` passes the tests.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup browser run ingest test test-fast audit clean bench bench-full

setup: $(STAMP)

# The CPU build of torch goes in first: a plain torch requirement would pull a multi-GB CUDA build.
# pip runs quietly; these lines say what it is doing (about 6 minutes in all on a 2-core machine).
$(STAMP): pyproject.toml
	@echo "make setup: installing guanwen's Python packages into $(VENV)/; about 6 minutes on a fresh machine"
	@test -x $(PY) || python3 -m venv $(VENV)
	@echo "make setup: 1/2 torch, CPU build (the largest download; about 2 minutes)..."
	@$(PY) -m pip install --quiet torch==2.13.0
	@echo "make setup: 2/2 guanwen and its dependencies: chromadb, gradio, llama-index, onnxruntime... (about 4 minutes)..."
	@$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)
	@echo "make setup: done"

# Browser tests drive Debian's Chromium; CJK fonts keep screenshots legible.
browser:
	@if [ ! -x /usr/bin/chromium ] || ! ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-cjk; \
		else \
			echo "Browser tests need: sudo apt-get install chromium fonts-noto-cjk"; exit 1; \
		fi; \
	fi

ingest: setup
	$(PY) -m ingest

run: ingest
	$(PY) app.py

test: setup browser
	$(PY) -m pytest -q

# Unit tests only (fake embedder, no servers, no browser): seconds, not minutes.
test-fast: setup
	$(PY) -m pytest -q -m "not slow"

# Dependency audit (pip-audit) against the advisories known and mitigated in .ci/known-advisories.txt.
audit: setup
	$(PY) .ci/audit.py

# Performance benchmark (bench/, docs/performance.md): the quick 1k-chunk size, a few minutes.
# Results (JSON, Markdown report, plot) land in bench-results/. Extra flags: BENCH_ARGS="--out DIR ...".
bench: setup
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m bench $(BENCH_ARGS)

# Every size: 1k, 10k and 100k chunks. Long: 72 min on a quiet 2-core machine, 60 of them the 100k ingest.
bench-full: setup
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) -m bench --full $(BENCH_ARGS)

clean:
	rm -rf storage test-output
