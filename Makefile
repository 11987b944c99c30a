# The two commands in README.md are the whole set-up: each target creates .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test demo bench bench-quick bench-1m bench-transfer dist lint typecheck clean windows-check

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Qt's X11 plugin needs system libraries a fresh Debian/Ubuntu lacks: installed with apt-get when
# root or sudo can, otherwise the exact package names are printed and make stops.
run: $(STAMP)
	$(PY) -m ispclient.platform_check --install
	$(PY) -m ispclient --run-or-demo

demo: $(STAMP)
	$(PY) -m ispclient.platform_check --install
	$(PY) -m ispclient --demo

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

# The "second PC" figures need PostgreSQL (ISPCLIENT_BENCH_PG_URL, or ISPCLIENT_TEST_PG_URL + _bench):
# without one they are skipped and said so. PG_LATENCY is the round trip the proxy adds.
PG_LATENCY ?= 20

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m bench --pg-latency $(PG_LATENCY)

bench-quick: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m bench --quick --pg-latency $(PG_LATENCY) --out bench/results-quick.json

bench-1m: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m bench --million --pg-latency $(PG_LATENCY) --out bench/results-1m.json

# Import and export of 100,000 clients (bench/transfer.py): import_100k_s, export_100k_s.
bench-transfer: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m bench.transfer

dist: $(STAMP)
	$(PY) -m PyInstaller --noconfirm --clean build.spec
	QT_QPA_PLATFORM=offscreen dist/ispclient/ispclient --smoke-test --data-dir "$$(mktemp -d)"

lint: $(STAMP)
	$(PY) -m ruff check ispclient tests bench installer
	$(PY) -m ruff check --extension spec:python build.spec
	$(PY) -m mypy ispclient

# The Windows build, installer (installed, run, uninstalled) and, with TESTS=1, the test suite, under
# Wine on a Debian/Ubuntu machine as root. On demand (before a release), not part of `make test`.
windows-check:
	PYTHON=$(PYTHON) TESTS=$(TESTS) bash installer/windows-check.sh

clean:
	rm -rf build dist .pytest_cache
