# provnet: two commands do everything on a fresh Debian bookworm machine (as root).
#   make demo   install what is missing, then run the simulated An Giang province live
#   make test   install what is missing (plus test extras), then run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
APT_PKGS := influxdb snmp snmpd iproute2
APT_TEST_PKGS := $(APT_PKGS) postgresql prometheus-snmp-exporter
DEMO_ARGS ?=

.PHONY: demo test deps deps-test apt apt-test lint bench clean

define apt_install
	@if ! dpkg -s $(1) >/dev/null 2>&1; then \
	  echo "installing Debian packages: $(1)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	fi
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

.stamp-deps-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	@touch $@ .stamp-deps

deps: apt .stamp-deps
deps-test: apt-test .stamp-deps-test

demo: deps
	$(VENV)/bin/provnet demo $(DEMO_ARGS)

test: deps-test
	$(PY) -m pytest -q

lint: deps-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy config inventory tsdb pollers alerts maps api provnet

bench: deps-test
	$(PY) bench/poll_demo.py
	$(PY) bench/poll_snmpd.py
	$(PY) bench/poll_engine.py --cycles 3
	$(PY) bench/snmp_fleet.py --devices 1000 --cycles 2
	$(PY) bench/icmp_sweep.py --hosts 1000 --count 4

clean:
	rm -rf .stamp-* build *.egg-info
