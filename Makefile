# Set-up is part of every target: a fresh clone needs nothing but Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint clean system-packages

# The console tests drive Debian's chromium with CJK fonts; install them when missing (needs root, as in CI).
DEBIAN_PACKAGES := chromium fonts-noto-cjk

system-packages:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot

# One worker per core (pytest-xdist); tests are independent of each other and of their order.
test: system-packages $(STAMP)
	$(BIN)/python -m pytest -q -n auto

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# The HTTP benchmark (bench/wechat_pipeline.py) drives the server with wrk, a Debian package.
bench: $(STAMP)
	@command -v wrk >/dev/null || { echo "installing wrk"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV)
