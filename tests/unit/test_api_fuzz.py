"""Property-based run of the OpenAPI document (schemathesis): whatever a client sends, no 5xx.

Bounded: a few dozen generated requests per operation, against fake models, so it takes seconds in CI.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from glassmate.api.app import create_app
from glassmate.config import Settings
from glassmate.testing import fake_models

_home = Path(tempfile.mkdtemp(prefix="glassmate-fuzz-"))
_settings = Settings(home=_home, server={"rate_per_minute": 100_000, "rate_burst": 100_000})  # type: ignore[arg-type]
app = create_app(_settings, models=fake_models(_settings))
_, KEY = app.state.services.api_keys.add("fuzz")
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_server_fail(case: schemathesis.Case) -> None:
    response = case.call(headers={"Authorization": f"Bearer {KEY}"})
    case.validate_response(response, checks=[not_a_server_error])
