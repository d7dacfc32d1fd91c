"""The command line's product and payment commands: `glassmate catalog import|demo`, `glassmate identify`,
`glassmate pay parse`. They register themselves on the main `app` of glassmate.cli."""

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
