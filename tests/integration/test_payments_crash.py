"""The payments crash test, smaller than bench/payments.py's: `glassmate serve` killed with SIGKILL again and
again while clients pay with idempotency keys and retries; on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from glassmate.testing import ledger_chaos


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_no_payment_is_lost_or_doubled_when_the_server_is_killed(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = None
    if backend == "postgresql":  # a database of this test's own on the session's server
        from glassmate.testing.postgres import fresh_database

        url = fresh_database(request.getfixturevalue("postgres_url"), "chaos")
    report = ledger_chaos.run(home=tmp_path, db_url=url, payments=150, clients=4, kill_between=(0.3, 1.2), seed=7)
    assert report.kills >= 2, report.as_dict()  # the server really died under the clients
    assert report.ok, report.as_dict()
    assert report.retries > 0
