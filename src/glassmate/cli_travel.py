"""The command line's travel commands: `glassmate travel import FILE.ics`, `events`, `reminders`, `remind`, `booking
FILE` and `bookings`. They register themselves on the main `app` of glassmate.cli."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from glassmate.cli import _fail, _settings, app, err, out
from glassmate.errors import GlassmateError
from glassmate.travel.service import Travel

travel_app = typer.Typer(help="Travel: import calendars (.ics) and list what is coming.")
app.add_typer(travel_app, name="travel")
OWNER_HELP = "Whose calendar: a device as device:NAME (what the glasses see), or cli."


def _service() -> Travel:
    from glassmate.scheduler import Scheduler
    from glassmate.store import Database

    settings = _settings()
    # Reminders are scheduled here and fired by the server (`glassmate serve`), which runs the scheduler.
    return Travel(db=Database(url=settings.db_url), settings=settings.travel, scheduler=Scheduler(settings.db_url))


@travel_app.command("import")
def travel_import(
    source: Annotated[Path, typer.Argument(help="An .ics export (Google, Outlook/Exchange, Apple, Thunderbird)")],
    owner: Annotated[str, typer.Option("--owner", help=OWNER_HELP)] = "cli",
) -> None:
    """Keep a calendar's sound events; the broken ones are named and left out."""
    if not source.is_file():
        err.print(f"[red]error[/red] no file {escape(str(source))}")
        raise typer.Exit(2)
    try:
        found = _service().import_calendar(owner, source.read_bytes(), filename=source.name)
    except GlassmateError as exc:
        raise _fail(exc) from exc
    out.print(f"imported {found['events']} event(s) as calendar {found['id']} {escape(found['name'])}")
    for warning in found["warnings"]:
        err.print(f"[yellow]warning[/yellow] {escape(warning)}")


@travel_app.command("events")
def travel_events(
    days: Annotated[float, typer.Option("--days", help="How far ahead to look.")] = 14.0,
    start: Annotated[str | None, typer.Option("--start", help="ISO 8601 (default: now)")] = None,
    owner: Annotated[str, typer.Option("--owner", help=OWNER_HELP)] = "cli",
) -> None:
    """The occurrences from START (or now) for DAYS, recurrences expanded."""
    try:
        begin = dt.datetime.fromisoformat(start) if start else dt.datetime.now(dt.UTC)
    except ValueError:
        err.print(f"[red]error[/red] --start {escape(start or '')} is not ISO 8601")
        raise typer.Exit(2) from None
    try:
        found = _service().events(owner, begin, begin + dt.timedelta(days=days))
    except GlassmateError as exc:
        raise _fail(exc) from exc
    for o in found:
        where = f" @ {o.location}" if o.location else ""
        out.print(f"{o.start.isoformat()}  {escape(o.summary)}{escape(where)}", highlight=False)
    if not found:
        out.print("nothing in that time")


@travel_app.command("reminders")
def travel_reminders(owner: Annotated[str, typer.Option("--owner", help=OWNER_HELP)] = "cli") -> None:
    """The reminders still to come, soonest first (the server fires them)."""
    found = _service().pending(owner)
    for r in found:
        event = f" (for {r.local(r.event_at).isoformat()})" if r.event_at else ""
        out.print(f"{r.local(r.due_at).isoformat()}  {r.kind:<8} {escape(r.subject)}{event}", highlight=False)
    if not found:
        out.print("no reminders to come")


@travel_app.command("remind")
def travel_remind(
    at: Annotated[str, typer.Argument(help="When, ISO 8601 (without an offset: travel.timezone)")],
    text: Annotated[str, typer.Argument(help="What to remind of")],
    owner: Annotated[str, typer.Option("--owner", help=OWNER_HELP)] = "cli",
) -> None:
    """Set a one-off reminder."""
    try:
        when = dt.datetime.fromisoformat(at)
    except ValueError:
        err.print(f"[red]error[/red] {escape(at)} is not ISO 8601")
        raise typer.Exit(2) from None
    try:
        r = _service().remind(owner, when, text, source="cli")
    except GlassmateError as exc:
        raise _fail(exc) from exc
    out.print(f"reminder {r.id} at {r.local(r.due_at).isoformat()}", highlight=False)


@travel_app.command("booking")
def travel_booking(
    source: Annotated[str, typer.Argument(help="A file with a pasted confirmation, or - for standard input")],
    owner: Annotated[str, typer.Option("--owner", help=OWNER_HELP)] = "cli",
    language: Annotated[str | None, typer.Option("--language", help="zh, en or de: of the questions")] = None,
) -> None:
    """Read a flight, train, hotel or car rental confirmation into a booking (with the LLM) and plan its
    reminders; what the text does not say is listed as questions."""
    import asyncio
    import sys

    from glassmate.runtime import Models

    if source == "-":
        text = sys.stdin.read()
    elif Path(source).is_file():
        text = Path(source).read_text(encoding="utf-8", errors="replace")
    else:
        err.print(f"[red]error[/red] no file {escape(source)}")
        raise typer.Exit(2)
    settings = _settings()
    models = Models(settings=settings)
    service = _service()
    service.llm = lambda: models.llm

    async def read() -> dict[str, object]:
        try:
            return await service.import_booking(owner, text, language=language)
        finally:
            await models.aclose()

    try:
        found = asyncio.run(read())
    except GlassmateError as exc:
        raise _fail(exc) from exc
    out.print_json(data=found)


@travel_app.command("bookings")
def travel_bookings(owner: Annotated[str, typer.Option("--owner", help=OWNER_HELP)] = "cli") -> None:
    """The bookings read so far, and what each still lacks."""
    found = _service().bookings(owner)
    for b in found:
        lacks = f"  lacks: {', '.join(q['field'] for q in b['missing'])}" if b["missing"] else ""
        out.print(f"{b['id']}  {b['kind']:<6} {escape(str(b['booking'].get('reference', '')))}{lacks}",
                  highlight=False)  # fmt: skip
    if not found:
        out.print("no bookings")
