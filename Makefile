# Report Task. `make run` starts the service; `make test` runs the tests. Both install first.
SHELL := /bin/bash
PYTHON ?= python3
TOOLS := .tools
UV := $(TOOLS)/bin/uv
POETRY := $(TOOLS)/bin/poetry
VENV := .venv
PY := $(VENV)/bin/python
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install axe run worker web beat flower superuser test test-fast lint check-packaging format bench \
	bench-micro messages compilemessages clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check 'uv>=0.5,<1'

# Poetry only checks that `poetry install` works too (make check-packaging); uv installs.
$(POETRY): $(UV)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check 'poetry>=2.2,<3'

# --compile-bytecode: every process (and the tests start many) imports Django, DRF, Celery
# and ReportLab from .pyc files instead of compiling them again, which matters where
# PYTHONDONTWRITEBYTECODE is set (a process then compiles every module it imports).
$(VENV)/.installed: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	touch $@

install: $(VENV)/.installed

## axe-core for tests/test_axe.py, from the npm registry at package-lock.json's version.
AXE := tests/axe/node_modules/.installed
$(AXE): tests/axe/package.json tests/axe/package-lock.json
	npm ci --prefix tests/axe --no-audit --no-fund --loglevel=error
	touch $@

axe: $(AXE)

## The whole service (API on $PORT, default 8000; one worker; the sweeper), one command.
run: install
	$(PY) -m config.serve all

web worker beat: install
	$(PY) -m config.serve $@

## Flower on port 5555 against the configured broker; needs FLOWER_BASIC_AUTH=user:password.
flower: install
	$(PY) -m config.serve flower

## An admin account for /admin/ (asks for a name and a password).
superuser: install
	$(PY) manage.py createsuperuser

## The report's translation catalogs (docs/report.md, "Languages"): `make messages` brings
## reports/locale/*/LC_MESSAGES/django.po up to date with the code (needs GNU gettext);
## translate, then `make compilemessages` writes the .mo files, which are committed (the
## image has no gettext tools); checks/test_catalogs.py fails on anything missing.
MESSAGE_LANGUAGES := -l de -l es -l hi

messages: install
	SECRET_KEY=$${SECRET_KEY:-messages} $(PY) manage.py makemessages $(MESSAGE_LANGUAGES) \
		--no-location --no-obsolete -i ".venv/*" -i ".tools/*" \
		-i "tests/*" -i "bench/*" -i "checks/*" -i "scripts/*" -i "docs/*"

compilemessages: install
	SECRET_KEY=$${SECRET_KEY:-messages} $(PY) manage.py compilemessages $(MESSAGE_LANGUAGES) \
		-i ".venv" -i ".tools"

## Every test. Integration tests need REPORT_TEST_POSTGRES and REPORT_TEST_REDIS (see CONTRIBUTING.md).
# pytest keeps its last three temporary folders per user and deletes older ones: a folder of
# its own per checkout keeps two checkouts' test runs from deleting each other's files.
TEST_TMP ?= /tmp/report-task-tests-$(shell printf '%s' "$(CURDIR)" | cksum | cut -d' ' -f1)

# TEST_WORKERS=2 runs the tests in two processes (pytest-xdist, a file to each at a time):
# 8 min against 12 on 2 cores, but one of three such runs of the whole suite failed (1,000
# jobs on RabbitMQ not done within 120 s), so one process stays the default until that is
# understood. schemathesis's in-process test gives its eight operations one test id, which
# xdist would run once: it runs on its own after the rest (in a full run; PYTEST_ARGS that
# name tests run just those).
TEST_WORKERS ?= 0
SCHEMA_CASES := tests/test_schema.py::test_the_api_honours_its_schema
TEST_ENV = PYTEST_DEBUG_TEMPROOT=$(TEST_TMP) \
	SECRET_KEY=$${SECRET_KEY:-test-only-not-secret} \
	CELERY_BROKER_KEY_PREFIX=$${CELERY_BROKER_KEY_PREFIX:-rt_pytest:}

test: install $(AXE)
	mkdir -p $(TEST_TMP)
	$(PY) -m compileall -q config reports tests checks bench
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --deselect $(SCHEMA_CASES) \
		$(PYTEST_ARGS)
	$(if $(PYTEST_ARGS),,$(TEST_ENV) $(PY) -m pytest -q -p no:cacheprovider $(SCHEMA_CASES))

## The fast tier: no outside services, no processes, no browser (SQLite; about a minute).
test-fast: install
	SECRET_KEY=$${SECRET_KEY:-test-only-not-secret} \
	env -u DATABASE_URL -u REPORT_TEST_POSTGRES -u REPORT_TEST_REDIS -u REPORT_TEST_RABBITMQ \
	-u REPORT_REQUIRE_INTEGRATION $(PY) -m pytest -q -m "not integration and not slow" $(PYTEST_ARGS)

lint: install $(POETRY)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	SECRET_KEY=$${SECRET_KEY:-lint} $(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache
	SECRET_KEY=$${SECRET_KEY:-lint} $(PY) -m pytest -q -p no:cacheprovider checks
	SECRET_KEY=$${SECRET_KEY:-lint} $(PY) manage.py makemigrations --check --dry-run
	$(POETRY) check --strict
	$(PY) scripts/check_packaging.py --image

## The Docker image's dependencies install on Alpine from wheels alone, and Poetry can lock
## and install uv.lock's versions (scripts/check_packaging.py; needs PyPI, ~1 minute).
check-packaging: install $(POETRY)
	$(PY) scripts/check_packaging.py

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## Benchmarks (docs/performance.md): starts its own service on a fresh database.
## BENCH_ARGS="--quick" for a ~2 minute run; "--help" lists the options.
bench: install
	$(PY) -m bench $(BENCH_ARGS)

## Only the micro-benchmarks (validation, report model, HTML and PDF rendering).
bench-micro: install
	$(PY) -m bench micro $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) tests/axe/node_modules .pytest_cache .ruff_cache .mypy_cache
