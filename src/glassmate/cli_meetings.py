"""The command line's meeting commands: `glassmate meeting import FILE`, `list`, `search WORDS`, `show ID`,
`delete ID`. They
register themselves on the main `app` of glassmate.cli."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from glassmate.cli import _fail, _models, _run, _settings, app, err, out
from glassmate.config import Settings
from glassmate.errors import GlassmateError

meeting_app = typer.Typer(help="Meetings: import a recording (transcript with speakers, notes), list, show.")
app.add_typer(meeting_app, name="meeting")
OWNER = "cli"  # meetings made on the command line; the API shows each caller its own


def _service(settings: Settings) -> Any:
    from glassmate.meetings.service import Meetings
    from glassmate.store import Database

    return Meetings(db=Database(url=settings.db_url), models=_models(settings), settings=settings)


@meeting_app.command("import")
def meeting_import(
    source: Annotated[Path, typer.Argument(help="A recording: wav, flac, mp3, ogg, webm, m4a…")],
    markdown: Annotated[bool, typer.Option("--markdown", help="Print the notes and transcript as Markdown.")] = False,
) -> None:
    """Transcribe a recording with who spoke, write its notes, and keep it in the store."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from glassmate.api.meetings import as_markdown

    settings = _settings()
    if not source.is_file():
        raise _fail(GlassmateError(f"{source} is not a file", code="file-unreadable"))
    meetings = _service(settings)
    meeting_id = meetings.new(owner=OWNER, source="import", filename=source.name)

    async def run() -> dict[str, Any]:
        try:
            with Progress(TextColumn("{task.description:<14}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                          TimeElapsedColumn(), console=err) as progress:  # fmt: skip
                task = progress.add_task("transcribing", total=1.0)

                def moved(stage: str, fraction: float) -> None:
                    progress.update(task, description=stage, completed=fraction)

                await meetings.import_file(meeting_id, source, progress=moved)
            found: dict[str, Any] = meetings.get(meeting_id)
            return found
        finally:
            await meetings.models.aclose()

    found = _run(run())
    if found["status"] == "failed":
        raise _fail(GlassmateError(found["error"]["message"], code=found["error"]["code"]))
    if markdown:
        out.print(as_markdown(found), markup=False, highlight=False)
        return
    _print_meeting(found)


def _print_meeting(found: dict[str, Any]) -> None:
    out.print(f"[bold]{escape(found['title'])}[/bold]  {found['id']}  {found['duration_s'] / 60:.1f} min, "
              f"{len(found['speakers'])} speakers, {found['language'] or '?'}")  # fmt: skip
    for warning in found["warnings"]:
        out.print(f"[yellow]{escape(warning)}[/yellow]")
    notes = found.get("notes") or {}
    if notes.get("summary"):
        out.print(escape(notes["summary"]))
    for label, key in (("decision", "decisions"), ("open question", "open_questions")):
        for item in notes.get(key, []):
            out.print(f"  {label}: {escape(item)}")
    for a in notes.get("action_items", []):
        extra = ", ".join(x for x in (a.get("owner"), a.get("due")) if x)
        out.print(f"  action: {escape(a['task'])}" + (f" ({escape(extra)})" if extra else ""))
    for s in found.get("segments", []):
        out.print(f"[dim]{s['start']:7.1f}s[/dim] [cyan]{escape(s['speaker'])}[/cyan]: {escape(s['text'])}")


@meeting_app.command("list")
def meeting_list() -> None:
    """Every meeting in the store, newest first."""
    for m in _service(_settings()).recent():
        out.print(f"{m['id']}  {m['status']:<10} {m['duration_s'] / 60:5.1f} min  {escape(m['title'])}")


@meeting_app.command("enroll")
def meeting_enroll(
    source: Annotated[Path, typer.Argument(help="A recording of you speaking (8 s of speech or more)")],
    name: Annotated[str, typer.Option(help="the name your speaker gets in meetings")] = "Me",
    owner: Annotated[str, typer.Option(help='whose voice: "device:NAME" for a pair of glasses')] = OWNER,
) -> None:
    """Enrol your own voice once: in later meetings the speaker with it is called NAME, not "Speaker N"."""
    service = _service(_settings())
    try:
        voice = _run(service.enrol_voice(owner, name, source))
    except GlassmateError as exc:
        raise _fail(exc) from exc
    out.print(f"enrolled {escape(voice['name'])} for {owner} from {voice['speech_s']:.0f} s of speech")


@meeting_app.command("search")
def meeting_search(words: Annotated[list[str], typer.Argument(help="what to look for: budget, 预算, Termin…")]) -> None:
    """Meetings whose title, notes or transcript have these words, best first, with the lines that have them."""
    found = _service(_settings()).search(" ".join(words))
    if not found:
        out.print("no meeting has these words")
    for m in found:
        out.print(f"[bold]{m['id']}[/bold]  {escape(m['title'])}")
        for line in m["matches"]:
            who = f"{line['speaker']} @ {line['start']:.0f} s: " if line["kind"] == "said" else ""
            out.print(f"   {line['kind']:<13} {escape(who + line['text'])}")


@meeting_app.command("show")
def meeting_show(meeting_id: str) -> None:
    """One meeting: notes and transcript."""
    try:
        _print_meeting(_service(_settings()).get(meeting_id))
    except GlassmateError as exc:
        raise _fail(exc) from exc


@meeting_app.command("delete")
def meeting_delete(meeting_id: str) -> None:
    """A meeting, its notes, transcript and audio."""
    try:
        _service(_settings()).delete(meeting_id)
    except GlassmateError as exc:
        raise _fail(exc) from exc
    out.print(f"deleted {meeting_id}")
