"""The command line's memory and privacy commands: `glassmate memory list`, `forget`, `export` and `purge`. They
register themselves on the main `app` of glassmate.cli and work on the store directly (the server need not run)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from glassmate.cli import _fail, _models, _settings, app, err, out
from glassmate.errors import GlassmateError
from glassmate.memory.privacy import Privacy, today_began

memory_app = typer.Typer(help="Memories, and what the glasses keep: list, forget, export, enforce retention.")
app.add_typer(memory_app, name="memory")
OWNER_HELP = "Whose data: a device as device:NAME (what the glasses keep), or key:NAME for an API key."


def _privacy() -> Privacy:
    from glassmate.meetings.service import Meetings
    from glassmate.memory.conversations import Conversations
    from glassmate.memory.service import Memories
    from glassmate.store import Database

    settings = _settings()
    db = Database(url=settings.db_url)
    models = _models(settings)  # loaded only if asked for (a search embeds its question)
    memories = Memories(db=db, embedder=lambda: models.embedder, settings=settings.memory)
    return Privacy(db=db, memories=memories, conversations=Conversations(db=db, settings=settings.memory),
                   meetings=Meetings(db=db, models=models, settings=settings), settings=settings.retention)  # fmt: skip


@memory_app.command("list")
def memory_list(
    owner: Annotated[str, typer.Option("--owner", help=OWNER_HELP)],
    search: Annotated[str | None, typer.Option("--search", "-q", help="Recall by meaning (any language).")] = None,
    today: Annotated[bool, typer.Option("--today", help="Only today's (travel.timezone).")] = False,
) -> None:
    """The memories, newest first (or those that answer --search, best first)."""
    privacy = _privacy()
    try:
        if search is not None:
            found = asyncio.run(privacy.memories.recall(owner, search, limit=5))
            listed = [(r.memory, f"{r.similarity:.2f} ") for r in found]
        else:
            listed = [
                (m, "")
                for m in privacy.memories.list(owner, since=today_began(_settings().travel.timezone) if today else None)
            ]
    except GlassmateError as exc:
        raise _fail(exc) from exc
    for memory, score in listed:
        where = f" @ {memory.where.place}" if memory.where.place else ""
        photo = " [photo]" if memory.has_image else ""
        out.print(f"{score}{memory.id}  {memory.created_at.isoformat(timespec='seconds')}  "
                  f"{escape(memory.text)}{escape(where)}{photo}", highlight=False)  # fmt: skip
    if not listed:
        out.print("no memories")


@memory_app.command("forget")
def memory_forget(
    owner: Annotated[str, typer.Option("--owner", help=OWNER_HELP)],
    memory_id: Annotated[str | None, typer.Argument(help="One memory's id (from `glassmate memory list`).")] = None,
    today: Annotated[
        bool, typer.Option("--today", help="Everything kept today: memories, meetings, conversation.")
    ] = False,
    everything: Annotated[
        bool, typer.Option("--all", help="Everything kept for OWNER (payment records stay).")
    ] = False,
) -> None:
    """Delete one memory, everything from today, or everything; gone from the database files too."""
    if sum((memory_id is not None, today, everything)) != 1:
        err.print("[red]error[/red] name one: a memory's ID, --today or --all")
        raise typer.Exit(2)
    privacy = _privacy()
    try:
        if memory_id is not None:
            privacy.memories.forget(owner, memory_id)
            privacy.scrub()
            out.print(f"forgot {memory_id}")
            return
        done = privacy.forget_since(owner, today_began(_settings().travel.timezone) if today else None)
    except GlassmateError as exc:
        raise _fail(exc) from exc
    out.print(f"forgot {done.memories} memories, {done.meetings} meetings, {done.exchanges} exchanges")
    if done.kept_payments:
        out.print(f"kept {done.kept_payments} payment records (the law keeps them: retention.payments_years)")


@memory_app.command("export")
def memory_export(
    owner: Annotated[str, typer.Option("--owner", help=OWNER_HELP)],
    output: Annotated[Path, typer.Option("--output", "-o", help="The zip to write.")] = Path("glassmate-export.zip"),
) -> None:
    """Everything kept for OWNER as a zip (JSON per kind, memory photos, meeting audio)."""
    output.write_bytes(_privacy().export(owner))
    out.print(f"wrote {output} ({output.stat().st_size:,} bytes)")


@memory_app.command("purge")
def memory_purge() -> None:
    """Enforce retention now (the server does it every retention.every_s): delete what is older than its kind's
    setting."""
    done = _privacy().purge()
    out.print(f"deleted {done.memories} memories, {done.meetings} meetings, {done.exchanges} exchanges, "
              f"{done.meeting_audio} meeting recordings' audio")  # fmt: skip
