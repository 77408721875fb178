# provnet: two commands do everything on a fresh Debian bookworm machine (as root).
#   make demo   install what is missing, then run the simulated An Giang province live
#   make test   install what is missing (plus test extras), then run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APT_PKGS := influxdb snmp snmpd iproute2 fonts-noto-core libpango-1.0-0 libpangoft2-1.0-0 libcairo2
APT_TEST_PKGS := $(APT_PKGS) postgresql chromium chromium-driver prometheus-alertmanager openssl openssh-server prometheus-snmp-exporter lldpd poppler-utils slapd ldap-utils
# VictoriaMetrics single node: tsdb.backend victoriametrics (issue 16) and its tests
APT_PKGS += victoria-metrics
APT_TEST_PKGS += victoria-metrics
DEMO_ARGS ?=

.PHONY: demo test deps deps-test apt apt-test lint bench clean web

define apt_install
	@if ! dpkg -s $(1) >/dev/null 2>&1; then \
	  echo "installing Debian packages: $(1)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	fi
endef

# install Debian package $(2) only when command $(1) is missing (node may come from elsewhere)
define apt_install_if_missing
	@command -v $(1) >/dev/null 2>&1 || { echo "installing Debian package: $(2)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(2) >/dev/null; }
endef

apt:
	$(call apt_install,$(APT_PKGS))

apt-test:
	$(call apt_install,$(APT_TEST_PKGS))

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

.stamp-deps: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	@touch $@

.stamp-deps-test: pyproject.toml tests/requirements-broker.txt | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	$(PY) -m pip install -q --require-hashes -r tests/requirements-broker.txt
	@touch $@ .stamp-deps

# map pages: Leaflet from npm (package-lock.json), copied into the static dir served offline
WEB := maps/web
WEB_VENDOR := $(WEB)/static/vendor/leaflet/leaflet.js
$(WEB_VENDOR): $(WEB)/package.json $(WEB)/package-lock.json
	$(call apt_install_if_missing,npm,npm)
	cd $(WEB) && npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(WEB)/static/vendor/leaflet
	cp -r $(WEB)/node_modules/leaflet/dist/leaflet.js $(WEB)/node_modules/leaflet/dist/leaflet.css \
	  $(WEB)/node_modules/leaflet/dist/images $(WEB)/node_modules/leaflet/LICENSE \
	  $(WEB)/static/vendor/leaflet/
	mkdir -p $(WEB)/static/vendor/uplot
	cp $(WEB)/node_modules/uplot/dist/uPlot.iife.min.js $(WEB)/node_modules/uplot/dist/uPlot.min.css \
	  $(WEB)/node_modules/uplot/LICENSE $(WEB)/static/vendor/uplot/
	@touch $@
web: $(WEB_VENDOR)

deps: apt .stamp-deps $(WEB_VENDOR)
deps-test: apt-test .stamp-deps-test $(WEB_VENDOR)

demo: deps
	$(VENV)/bin/provnet demo $(DEMO_ARGS)

# The suite mostly waits on real time (simulated devices, poll cycles, restarts, WAN cuts), so
# it runs on TEST_JOBS workers (pytest-xdist), a whole file per worker (a module's fixtures,
# e.g. one demo, are made once and its tests keep their order); the tests marked `serial`
# (timing under load, Chromium) run afterwards, alone. Both parts always run; it fails if
# either fails.
# compileall first: every test starts provnet processes, and where PYTHONDONTWRITEBYTECODE is
# set each of them would compile the whole package again (~0.4 CPU-s of the ~4 its start takes)
TEST_JOBS ?= 4
test: deps-test
	@$(PY) -m compileall -q provnet alerts api config inventory maps pollers tsdb >/dev/null
	@status=0; \
	$(PY) -m pytest -q -n $(TEST_JOBS) --dist loadfile -m "not serial" || status=$$?; \
	$(PY) -m pytest -q -p no:xdist -m serial tests/integration || status=$$?; \
	exit $$status

lint: deps-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy provnet

bench: deps-test
	$(PY) bench/poll_demo.py
	$(PY) bench/poll_snmpd.py
	$(PY) bench/coverage.py
	$(PY) bench/ssh_sessions.py
	$(PY) bench/poll_engine.py --cycles 3
	$(PY) bench/snmp_fleet.py --devices 1000 --cycles 2
	$(PY) bench/icmp_sweep.py --hosts 1000 --count 4

clean:
	rm -rf .stamp-* build *.egg-info $(WEB)/node_modules $(WEB)/static/vendor
