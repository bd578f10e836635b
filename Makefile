# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# PostgreSQL for the second test pass (trust authentication on the development machines).
PG_URL ?= postgres://postgres@127.0.0.1:5432/registry

.PHONY: serve bench-load run test venv migrate data superuser test-sqlite test-postgres lint postgres browser check-deploy bench-reports bench-api bench-pages fuzz mutate clean vendor

# Create the virtual environment and install the pinned requirements (again when they change).
$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

migrate: venv
	$(PY) manage.py migrate --noinput

# Japan's 1,788 authorities, the world twin pairs, the 12 city networks and the labelled demo
# activity; every step is idempotent, so running it again changes nothing and keeps what was edited
# in the registry since (each step lists the local edits it kept; load_registry_data --force-source resets them).
data: migrate
	$(PY) manage.py load_registry_data

run: data
	@echo ""
	@echo "Sister-city registry on http://$(HOST):$(PORT)/  (admin: /admin/, API: /api/, API docs: /api/docs/)"
	@echo "Make an admin login with:  make superuser   (or $(PY) manage.py createsuperuser)"
	@echo ""
	REGISTRY_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

# Run it: production settings (DEBUG off) behind gunicorn on PostgreSQL, Redis as the shared cache,
# static files compressed and named by their hash (whitenoise, cached for a year). Every setting from
# the environment (README, "Serving it"); the defaults serve the local PostgreSQL and Redis on loopback.
# The secret key lives in SECRET_KEY_FILE (written on first use, mode 600, never committed), so every
# process and every instance started here shares sessions. Data is loaded only into an empty registry.
SERVE_DATABASE_URL ?= $(or $(DATABASE_URL),$(PG_URL))
SERVE_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
SECRET_KEY_FILE ?= .secret_key
WEB_CONCURRENCY ?= 2
GUNICORN_THREADS ?= 4
GUNICORN_TIMEOUT ?= 30
SERVE_ENV = DATABASE_URL=$(SERVE_DATABASE_URL) REDIS_URL=$(SERVE_REDIS_URL) REGISTRY_SECRET_KEY_FILE=$(abspath $(SECRET_KEY_FILE)) \
	REGISTRY_DEBUG=0 REGISTRY_MANIFEST_STATIC=1
serve: venv postgres
	@test -s $(SECRET_KEY_FILE) || (umask 077 && $(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $(SECRET_KEY_FILE))
	$(SERVE_ENV) $(PY) manage.py create_database
	$(SERVE_ENV) $(PY) manage.py migrate --noinput
	$(SERVE_ENV) $(PY) manage.py load_registry_data --if-empty --no-progress
	$(SERVE_ENV) $(PY) manage.py collectstatic --noinput -v0
	@echo "Sister-city registry (production settings) on http://$(HOST):$(PORT)/ : $(WEB_CONCURRENCY) workers x $(GUNICORN_THREADS) threads"
	$(SERVE_ENV) exec $(VENV)/bin/gunicorn registry.wsgi:application --bind $(HOST):$(PORT) \
	  --workers $(WEB_CONCURRENCY) --threads $(GUNICORN_THREADS) --worker-class gthread \
	  --timeout $(GUNICORN_TIMEOUT) --graceful-timeout 20 --max-requests 10000 --max-requests-jitter 1000

superuser: migrate
	$(PY) manage.py createsuperuser

# Everything CI checks: lint, migrations in step with the models, the tests on SQLite and on PostgreSQL.
test: lint test-sqlite test-postgres

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

# PYTEST_WORKERS test processes (pytest-xdist; a file's tests stay in one process: they share its
# fixtures and, for tests/serve, its databases). The seeded schemathesis run is collected per operation
# only in a single process, so it runs after, on its own.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) --dist loadfile
test-sqlite: venv browser
	env -u DATABASE_URL $(PY) -m pytest $(PYTEST_PARALLEL) -m "not fuzz"
	env -u DATABASE_URL $(PY) -m pytest -m fuzz

# The browser tests drive pages whose database work the other tests already cover on both databases,
# and the seeded schemathesis run checks answers against the schema: both run once, in the SQLite
# pass, to keep CI short.
test-postgres: venv postgres
	DATABASE_URL=$(PG_URL) $(PY) -m pytest $(PYTEST_PARALLEL) -m "not browser and not fuzz"

# Start the local PostgreSQL when it is down (Debian cluster layout, as on the development machines).
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && exit 0; sleep 1; done; echo "PostgreSQL did not start"; exit 1

# Debian's Chromium, ChromeDriver and CJK fonts (Japanese in the screenshots) for the browser tests,
# installed when missing and apt is at hand.
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
browser:
	@test -x /usr/bin/chromium -a -x /usr/bin/chromedriver -a -f $(CJK_FONT) || { \
	  command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver fonts-noto-cjk >/dev/null) \
	  || echo "Chromium not installed: browser tests will be skipped"; }

# `manage.py check --deploy` with production settings (a throwaway key from the environment).
check-deploy: venv
	REGISTRY_SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))') \
	REGISTRY_ALLOWED_HOSTS=registry.example.org REGISTRY_HTTPS=1 \
	$(PY) manage.py check --deploy --fail-level WARNING

bench-reports: venv postgres
	$(PY) manage.py bench_reports

bench-api: venv
	$(PY) manage.py bench_api

bench-pages: venv postgres
	$(PY) manage.py bench_pages

# Load at rising concurrency (10, 50, 200 clients; wrk from Debian) on the bench world behind gunicorn
# with production settings and Redis (registry/management/commands/bench_load.py).
bench-load: venv postgres
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; }
	$(PY) manage.py bench_load

# Schemathesis, all checks, against a live server with the real data: anonymous and as an admin
# (FUZZ_EXAMPLES cases per operation and phase, default 40: well over 1,000 cases each). Fails on any failure.
fuzz: venv
	PY=$(PY) ST=$(VENV)/bin/schemathesis sh tests/fuzz.sh

# Front-end libraries, pinned in package.json / package-lock.json, copied from the npm registry into
# the project's static files with a SHA-256 manifest, and committed: `make run` and the tests need no
# npm. Run again after changing a version in package.json (then commit what it wrote). The source maps
# come along: the scripts name them, and collectstatic's hashed storage refuses a missing one.
VENDOR := registry/static/vendor
vendor:
	npm ci --no-audit --no-fund
	rm -rf $(VENDOR) tests/vendor
	mkdir -p $(VENDOR)/leaflet/images $(VENDOR)/topojson-client $(VENDOR)/chart.js $(VENDOR)/world-atlas tests/vendor/axe-core
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.js.map node_modules/leaflet/dist/leaflet.css node_modules/leaflet/LICENSE $(VENDOR)/leaflet/
	cp node_modules/leaflet/dist/images/*.png $(VENDOR)/leaflet/images/
	cp node_modules/topojson-client/dist/topojson-client.min.js node_modules/topojson-client/LICENSE $(VENDOR)/topojson-client/
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map node_modules/chart.js/LICENSE.md $(VENDOR)/chart.js/
	cp node_modules/world-atlas/countries-110m.json node_modules/world-atlas/LICENSE $(VENDOR)/world-atlas/
	cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE tests/vendor/axe-core/
	cd $(VENDOR) && find . -type f ! -name MANIFEST.sha256 | LC_ALL=C sort | xargs sha256sum > MANIFEST.sha256
	cd tests/vendor && find . -type f ! -name MANIFEST.sha256 | LC_ALL=C sort | xargs sha256sum > MANIFEST.sha256
	@for p in leaflet topojson-client chart.js world-atlas axe-core; do node -p "'$$p ' + require('./node_modules/$$p/package.json').version"; done

# Mutation testing of registry/services/ (not part of `make test`: an hour or more on 2 cores). mutmut
# runs in a staged copy, .mutation/ (see tests/mutation_stage.py); the cache there makes a second run
# test only what changed. MUTATE= limits the run, e.g. MUTATE='registry.services.agreements*';
# MUTATE_TESTS= the tests that judge it, e.g. MUTATE_TESTS='tests/services tests/test_models.py'.
MUTATE ?=
MUTATE_TESTS ?=
MUTATE_CHILDREN ?= 2
mutate: venv
	$(PY) tests/mutation_stage.py $(if $(MUTATE_TESTS),--tests $(MUTATE_TESTS))
	cd .mutation && env -u DATABASE_URL ../$(VENV)/bin/mutmut run --max-children $(MUTATE_CHILDREN) $(MUTATE)
	cd .mutation && ../$(VENV)/bin/mutmut results

clean:
	rm -rf .mutation $(VENV) db.sqlite3 staticfiles .pytest_cache .ruff_cache tests/screenshots
