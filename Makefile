# Two commands on a fresh machine: `make run` serves the app, `make test` passes the tests.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup browser run ingest test test-fast audit clean bench bench-full

setup: $(STAMP)

# The CPU build of torch goes in first: a plain torch requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

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
