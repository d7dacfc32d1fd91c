"""The ledger's audit log: each record is canonical JSON, hashed together with the previous record's hash, so a
changed, removed or reordered record breaks the chain from that point on. `verify_ledger` also checks that the
money tables tell the same story as the log: transfers balance, balances equal their entries, every payment's
state and amounts are those its last audit record says. (An attacker who rewrites the whole chain *and* the head
can only be caught by comparing the head hash with a copy kept elsewhere: `glassmate ledger verify` prints it.)
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from glassmate.store.ledger import AuditRecord, LedgerAccount, LedgerEntry, LedgerHead, LedgerPayment

if TYPE_CHECKING:
    from glassmate.payments.ledger import Problems

MAX_REPORTED = 20


def chain(prev_hash: str, *, seq: int, action: str, actor: str, body: dict[str, Any]) -> tuple[str, str]:
    """The record's canonical JSON and its chained hash."""
    record = json.dumps({"seq": seq, "at": datetime.now(UTC).isoformat(), "action": action, "actor": actor, **body},
                        sort_keys=True, separators=(",", ":"), ensure_ascii=False)  # fmt: skip
    return record, hashlib.sha256((prev_hash + record).encode()).hexdigest()


def verify_ledger(s: Session) -> Problems:
    from glassmate.payments.ledger import GENESIS, Problems

    report = Problems()
    problems = report.items
    last_state: dict[str, dict[str, Any]] = {}
    prev, expected_seq = GENESIS, 1
    for row in s.scalars(select(AuditRecord).order_by(AuditRecord.seq)).yield_per(2000):
        report.audit_records += 1
        if row.seq != expected_seq:
            problems.append(f"audit record {expected_seq} is missing (next is {row.seq})")
        if row.prev_hash != prev:
            problems.append(f"audit record {row.seq}: does not follow record {row.seq - 1} (chain broken)")
        if hashlib.sha256((row.prev_hash + row.record).encode()).hexdigest() != row.hash:
            problems.append(f"audit record {row.seq}: its content does not match its hash (altered)")
        try:
            body = json.loads(row.record)
        except ValueError:
            problems.append(f"audit record {row.seq}: not JSON")
            body = {}
        if body.get("seq") != row.seq:
            problems.append(f"audit record {row.seq}: says it is record {body.get('seq')}")
        if "payment" in body:
            last_state[body["payment"]] = body
        prev, expected_seq = row.hash, row.seq + 1
    report.head_hash = prev
    head = s.get(LedgerHead, 1)
    if head is None or head.hash != prev or head.seq != expected_seq - 1:
        problems.append("the ledger head does not match the last audit record (records removed or added)")

    for transfer, total in s.execute(
        select(LedgerEntry.transfer, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.transfer)
    ):
        if total != 0:
            problems.append(f"transfer {transfer} does not balance ({total:+d})")
    sums = dict(
        s.execute(select(LedgerEntry.account_id, func.sum(LedgerEntry.amount)).group_by(LedgerEntry.account_id)).all()
    )
    totals: dict[str, int] = defaultdict(int)
    for account in s.scalars(select(LedgerAccount)):
        totals[account.currency] += account.balance
        if int(sums.get(account.id, 0)) != account.balance:
            problems.append(f"account {account.kind}:{account.owner} {account.currency}: balance {account.balance} "
                            f"but its entries sum to {int(sums.get(account.id, 0))}")  # fmt: skip
    for currency, total in totals.items():
        if total != 0:
            problems.append(f"{currency}: balances sum to {total:+d}, not 0")

    for payment in s.scalars(select(LedgerPayment)).yield_per(2000):
        report.payments += 1
        logged = last_state.pop(payment.id, None)
        if logged is None:
            problems.append(f"payment {payment.id} has no audit record")
            continue
        for name, value in (("state", payment.state), ("amount", payment.amount), ("currency", payment.currency),
                            ("refunded", payment.refunded), ("merchant", payment.merchant_key)):  # fmt: skip
            if logged.get(name) != value:
                problems.append(f"payment {payment.id}: {name} is {value!r}, the audit log says {logged.get(name)!r}")
    for missing in last_state:
        problems.append(f"payment {missing} is in the audit log but not in the payments table")
    if len(problems) > MAX_REPORTED:
        report.items = [*problems[:MAX_REPORTED], f"… and {len(problems) - MAX_REPORTED} more"]
    return report
