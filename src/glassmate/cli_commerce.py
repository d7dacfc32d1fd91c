"""The command line's product and payment commands: `glassmate catalog import|demo`, `glassmate identify`,
`glassmate pay parse|pin`, `glassmate ledger verify|balance|fund`. They register themselves on the main `app` of
glassmate.cli."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from glassmate.cli import _fail, _models, _read_file, _run, _settings, app, err, out
from glassmate.config import Settings
from glassmate.errors import GlassmateError

catalog_app = typer.Typer(help="The product catalog: import products, merchants and offers; the demo catalog.")
app.add_typer(catalog_app, name="catalog")
pay_app = typer.Typer(help="Payments: merchant QR codes (EMVCo merchant-presented mode).")
app.add_typer(pay_app, name="pay")


def _catalog(settings: Settings) -> Any:
    from glassmate.products.catalog import Catalog
    from glassmate.store import Database

    return Catalog(Database(url=settings.db_url), settings.products)


def _print_import(report: Any) -> None:
    out.print(f"imported {report.products} products, {report.merchants} merchants, {report.offers} offers")
    for kind, row, reason in report.rejected[:50]:
        out.print(f"[yellow]rejected[/yellow] {kind} row {row}: {escape(reason)}", highlight=False)
    if len(report.rejected) > 50:
        out.print(f"... and {len(report.rejected) - 50} more rejected rows")


@catalog_app.command("import")
def catalog_import(
    file: Annotated[Path, typer.Argument(help="A CSV (products, merchants or offers) or JSON file; docs/catalog.md.")],
) -> None:
    """Import products, merchants and offers: good rows land, bad rows are reported with the reason."""
    from rich.progress import Progress

    from glassmate.products.catalog import read_file

    settings = _settings()
    try:
        rows = read_file(file)
    except (OSError, GlassmateError) as exc:
        error = exc if isinstance(exc, GlassmateError) else GlassmateError(str(exc), code="file-unreadable")
        raise _fail(error) from exc
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task(f"importing {file.name}", total=sum(len(v) for v in rows.values()))
        report = _catalog(settings).import_rows(rows, lambda n: progress.advance(task, n))
    _print_import(report)
    if report.rejected:
        raise typer.Exit(1)


@catalog_app.command("demo")
def catalog_demo() -> None:
    """Load the demo catalog (320 made-up products with offers and package images; labelled DEMO DATA)."""
    from glassmate.products import demo

    settings = _settings()
    rows = demo.catalog(settings.home / "catalog" / "demo")
    _print_import(_catalog(settings).import_rows(rows))


@app.command()
def identify(
    image: Annotated[Path, typer.Argument(help="A photo of a product or its shelf tag.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What product is this, and where is it cheaper? Barcode, then the text on the package."""
    from glassmate.imaging import load_image
    from glassmate.products.identify import Identifier

    settings = _settings()

    async def go() -> None:
        models = _models(settings)
        pixels = load_image(_read_file(image), settings.image)
        found = await Identifier(catalog=_catalog(settings), ocr=models.ocr, codes=models.codes).identify(pixels)
        if as_json:
            payload = {
                "candidates": [c.as_dict() for c in found.candidates],
                "offers": [o.as_dict() for o in found.offers],
                "price_here": None if found.price_here is None else vars(found.price_here),
            }
            out.print_json(json.dumps(payload, ensure_ascii=False))
            return
        if not found.candidates:
            out.print("no product recognised")
        for c in found.candidates:
            out.print(f"{c.confidence:.2f} {c.cue:<12} {c.product.gtin}  {escape(c.product.name_en)}", highlight=False)
        if found.price_here:
            out.print(f"price here: {found.price_here.text}")
        for o in found.offers:
            out.print(f"  {o.price:8.2f} {settings.products.currency}  {escape(o.merchant)}", highlight=False)

    _run(go())


@pay_app.command("parse")
def pay_parse(payload: Annotated[str, typer.Argument(help="The text of a merchant's payment QR code.")]) -> None:
    """Decode and check a payment QR payload: its fields as JSON, or the error code and reason (exit status 1)."""
    from glassmate.payments.emv import QRPayloadError, parse

    try:
        qr = parse(payload)
    except QRPayloadError as exc:
        err.print(f"[red]error[/red] {escape(f'[{exc.code}]')} {escape(exc.message)}", highlight=False)
        raise typer.Exit(1) from exc
    out.print_json(json.dumps(qr.as_dict(), ensure_ascii=False))


ledger_app = typer.Typer(help="The payment ledger: check its audit chain and balances, top up a wallet.")
app.add_typer(ledger_app, name="ledger")


def _ledger(settings: Settings) -> Any:
    from glassmate.payments.ledger import Ledger

    return Ledger(url=settings.db_url, settings=settings.payments, rates=settings.products.rates,
                  currency=settings.products.currency)  # fmt: skip


def _owner(name: str) -> str:
    """'my-glasses' → 'device:my-glasses'; 'device:…' and 'key:…' as given."""
    return name if name.startswith(("device:", "key:")) else f"device:{name}"


@ledger_app.command("verify")
def ledger_verify() -> None:
    """Recompute the audit log's hash chain and check balances, transfers and payments against it (exit 1 if not)."""
    ledger = _ledger(_settings())
    report = ledger.verify()
    for problem in report.items:
        out.print(f"[red]problem[/red] {escape(problem)}", highlight=False, soft_wrap=True, emoji=False)
    if report:
        raise typer.Exit(1)
    out.print(f"ledger OK: {report.audit_records} audit records, {report.payments} payments; "
              f"head {report.head_hash} (keep a copy to detect a rewritten chain)", highlight=False,
              soft_wrap=True)  # fmt: skip


@ledger_app.command("balance")
def ledger_balance(owner: Annotated[str, typer.Argument(help="A device name, or device:NAME / key:NAME.")]) -> None:
    """A wallet's balances."""
    from glassmate.money import MINOR_UNITS

    balances = _ledger(_settings()).balances(_owner(owner))
    if not balances:
        out.print(f"{escape(_owner(owner))} has no wallet yet", emoji=False)
    for currency, minor in sorted(balances.items()):
        units = MINOR_UNITS.get(currency, 2)
        out.print(f"{minor / 10**units:,.{units}f} {currency}", highlight=False)


@ledger_app.command("fund")
def ledger_fund(
    owner: Annotated[str, typer.Argument(help="A device name, or device:NAME / key:NAME.")],
    amount: Annotated[str, typer.Argument(help="How much, e.g. 100.00.")],
    currency: Annotated[str, typer.Argument(help="ISO 4217 code, e.g. EUR.")] = "EUR",
) -> None:
    """Top up a wallet (money from outside: the ledger's funding account)."""
    from glassmate.money import MINOR_UNITS
    from glassmate.payments.checkout import parse_amount
    from glassmate.store import ApiKeyRegistry, Database, DeviceRegistry

    currency = currency.upper()
    wallet = _owner(owner)
    kind, name = wallet.split(":", 1)
    settings = _settings()
    registry = (ApiKeyRegistry if kind == "key" else DeviceRegistry)(db=Database(url=settings.db_url))
    if not registry.is_active(name):  # money for a wallet nobody can pay from is money lost
        what, command = ("API key", "keys") if kind == "key" else ("device", "devices")
        out.print(f"[red]error[/red] no {what} named {escape(name)} (glassmate {command} add NAME)", emoji=False)
        raise typer.Exit(2)
    try:
        minor = parse_amount(amount, MINOR_UNITS.get(currency, 2))
        balances = _ledger(settings).fund(wallet, minor, currency)
    except GlassmateError as exc:
        raise _fail(exc) from exc
    units = MINOR_UNITS[currency]
    out.print(f"{escape(_owner(owner))}: {balances[currency] / 10**units:,.{units}f} {currency}", highlight=False,
              emoji=False)  # fmt: skip


@pay_app.command("pin")
def pay_pin(
    owner: Annotated[str, typer.Argument(help="A device name, or device:NAME / key:NAME.")],
    stdin: Annotated[bool, typer.Option("--stdin", help="Read the PIN from standard input (for scripts).")] = False,
) -> None:
    """Set the PIN that confirms this wallet's payments (4-8 digits; stored as a scrypt hash)."""
    import sys

    from glassmate.payments.pins import PinStore

    ask = lambda: typer.prompt("New PIN", hide_input=True, confirmation_prompt=True)  # noqa: E731
    pin = sys.stdin.readline().strip() if stdin else ask()
    try:
        PinStore(ledger=_ledger(_settings())).set(_owner(owner), pin)
    except GlassmateError as exc:
        raise _fail(exc) from exc
    out.print(f"PIN set for {escape(_owner(owner))}", emoji=False)
