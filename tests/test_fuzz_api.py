"""Property-based fuzzing of the HTTP API from its own OpenAPI description (schemathesis).

Every operation of /api/openapi.json is called with parameters generated from the
description: responses must conform to it (schemathesis's checks: status codes, schemas,
valid parameters accepted), never be a 5xx or hold a stack trace, and come back quickly.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from web.app import create_app

# A request using this much processor time in-process (hundreds of times the usual) means
# something runs away; it is a bound, not a benchmark.  The time counted is this thread's CPU
# time, not the wall clock: a machine loaded by other work does not inflate it.
RUNAWAY_CPU_SECONDS = 5.0


@pytest.fixture(scope="module")
def api_schema(demo_index):
    """Return the API's OpenAPI description, loaded from the app itself."""
    app = create_app({"INDEX_DIR": str(demo_index), "TESTING": True})
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


OPERATIONS = ["/api/search", "/api/articles/{id}", "/api/suggest", "/healthz"]


def operations(schema) -> dict[str, object]:
    """Return the described GET operations by path."""
    return {op.ok().path: op.ok() for op in schema.get_all_operations() if op.ok().method == "get"}


def test_every_endpoint_is_described(api_schema):
    assert sorted(operations(api_schema)) == sorted(OPERATIONS)


@pytest.mark.parametrize("path", OPERATIONS)
def test_api_holds_to_its_description_whatever_the_parameters(api_schema, path):
    operation = operations(api_schema)[path]

    @given(case=operation.as_strategy())
    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case):
        started = time.thread_time()  # the WSGI call runs in this thread
        response = case.call()
        used = time.thread_time() - started
        assert response.status_code < 500, (case.path, case.query, response.text[:300])
        assert "Traceback" not in response.text
        assert used < RUNAWAY_CPU_SECONDS, (case.path, case.query, used)
        case.validate_response(response)

    check()
