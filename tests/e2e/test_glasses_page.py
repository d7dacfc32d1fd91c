"""End to end: the glasses page in headless Chromium (Debian's), with a fake microphone that plays a spoken
question, against a server running the real embedded models. A screenshot is kept in test-artifacts/."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from glassmate.api.app import create_app
from glassmate.audio import pcm16_to_audio
from glassmate.config import Settings
from glassmate.runtime import Models
from glassmate.testing.server import serve_in_thread

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ "What time is it?" in the Piper voice, then silence long enough that Chromium's looping is rare."""
    import asyncio

    async def make() -> np.ndarray:
        models = Models(settings=Settings())
        chunk = await models.tts.synthesize("What time is it?")
        await models.aclose()
        return pcm16_to_audio(chunk.pcm16, chunk.sample_rate).resampled(48_000).samples

    speech = asyncio.run(make())
    clip = np.concatenate([np.zeros(48_000, np.float32), speech, np.zeros(48_000 * 20, np.float32)])
    path = tmp_path_factory.mktemp("media") / "speech.wav"
    soundfile.write(path, clip, 48_000, subtype="PCM_16")
    return path


@asynccontextmanager
async def glasses_page(
    speech_wav: Path,
    home: Path,
    *,
    video: Path | None = None,
    funds: int = 0,
    geolocation: tuple[float, float] | None = None,
) -> AsyncIterator[tuple[Any, str, Any]]:
    """The page in Chromium with a fake microphone (and, if given, a fake camera playing `video`, a GPS position
    that the test moves with `page.context.set_geolocation` and the prepared Helsinki map), connected to a server
    with the real models. Yields the page, the server's URL and the app."""
    from playwright.async_api import async_playwright

    settings = Settings(home=home)
    if geolocation is not None:
        settings.maps_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(Settings().maps_dir / "default.npz", settings.maps_dir / "default.npz")
    # Models come from the prepared default home; devices live in this test's own database.
    models = Models(settings=Settings())
    app = create_app(settings, models=models, preload=True)
    _, token = app.state.services.devices.add("e2e-browser")
    if funds:
        app.state.services.payments.fund("device:e2e-browser", funds, "EUR")
    camera = [f"--use-file-for-fake-video-capture={video}"] if video else []
    with serve_in_thread(app) as base:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-audio-capture={speech_wav}",
                    *camera,
                    "--autoplay-policy=no-user-gesture-required",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                ],
            )
            located: dict[str, Any] = {}
            if geolocation is not None:
                located = {
                    "permissions": ["geolocation"],
                    "geolocation": {"latitude": geolocation[0], "longitude": geolocation[1], "accuracy": 5},
                }
            context = await browser.new_context(viewport={"width": 1000, "height": 900}, **located)
            page = await context.new_page()
            page.on("console", lambda msg: print("console:", msg.text))
            await page.goto(f"{base}/#token={token}&autostart=1")
            try:
                yield page, base, app
            finally:
                ARTIFACTS.mkdir(exist_ok=True)
                suffix = "-pay" if video else "-navigation" if geolocation else ""
                if speech_wav.stem != "speech":
                    suffix = f"-{speech_wav.stem}"
                await page.screenshot(path=str(ARTIFACTS / f"glasses-page{suffix}.png"), full_page=True)
                await browser.close()


@pytest.fixture
async def page(speech_wav: Path, tmp_path: Path) -> AsyncIterator[tuple[object, str]]:
    async with glasses_page(speech_wav, tmp_path) as (p, base, _app):
        yield p, base


async def test_spoken_question_gets_transcript_hud_answer_and_audio(page: tuple[object, str]) -> None:
    p, _ = page
    await p.wait_for_function("window.glassmate.connected", timeout=30_000)  # type: ignore[attr-defined]
    await p.wait_for_function(  # type: ignore[attr-defined]
        "window.glassmate.transcripts.some(t => /time/i.test(t))", timeout=60_000
    )
    await p.wait_for_function("window.glassmate.cards.length > 0", timeout=30_000)  # type: ignore[attr-defined]
    await p.wait_for_function("window.glassmate.audioBytes > 24000", timeout=30_000)  # type: ignore[attr-defined]
    await p.wait_for_function("window.glassmate.routes.length > 0", timeout=30_000)  # type: ignore[attr-defined]
    state = await p.evaluate("window.glassmate")  # type: ignore[attr-defined]
    assert "time" in state["routes"]
    assert any(a.startswith("It's ") for a in state["answers"])
    assert await p.locator("#cards .card").count() >= 1  # type: ignore[attr-defined]
    assert state["errors"] == []


async def test_typed_question_is_answered_by_the_llm(page: tuple[object, str]) -> None:
    p, _ = page
    await p.wait_for_function("window.glassmate.connected", timeout=30_000)  # type: ignore[attr-defined]
    await p.select_option("#mode", "ptt")  # type: ignore[attr-defined]  # keep the looping mic out of it
    await p.fill("#question", "What is 2+3?")  # type: ignore[attr-defined]
    await p.click("#ask-btn")  # type: ignore[attr-defined]
    await p.wait_for_function(  # type: ignore[attr-defined]
        "window.glassmate.answers.some(a => a.includes('5'))", timeout=60_000
    )
    state = await p.evaluate("window.glassmate")  # type: ignore[attr-defined]
    assert "ask" in state["routes"]


async def test_translation_mode_shows_on_the_hud(page: tuple[object, str]) -> None:
    p, _ = page
    await p.wait_for_function("window.glassmate.connected", timeout=30_000)  # type: ignore[attr-defined]
    await p.select_option("#mode", "ptt")  # type: ignore[attr-defined]
    await p.fill("#question", "Translate to German.")  # type: ignore[attr-defined]
    await p.click("#ask-btn")  # type: ignore[attr-defined]
    await p.wait_for_function("window.glassmate.translating", timeout=30_000)  # type: ignore[attr-defined]
    assert await p.locator("#translating").is_visible()  # type: ignore[attr-defined]
    assert "de" in await p.locator("#translating").inner_text()  # type: ignore[attr-defined]
    await p.fill("#question", "Stop translating.")  # type: ignore[attr-defined]
    await p.click("#ask-btn")  # type: ignore[attr-defined]
    await p.wait_for_function("!window.glassmate.translating", timeout=30_000)  # type: ignore[attr-defined]
    assert not await p.locator("#translating").is_visible()  # type: ignore[attr-defined]


async def test_a_memory_made_in_english_is_recalled_in_german_and_forgotten(page: tuple[object, str]) -> None:
    """Typed here (spoken on glasses): the real sentence encoder finds an English memory from a German question,
    and the answer says when it was made; "forget that" deletes it."""
    p, _ = page
    await p.wait_for_function("window.glassmate.connected", timeout=30_000)  # type: ignore[attr-defined]
    await p.select_option("#mode", "ptt")  # type: ignore[attr-defined]
    for typed, answer in (("Remember that I parked on level three.", "I'll remember: I parked on level three"),
                          ("Wo habe ich geparkt?", "Deine Notiz von heute um"),
                          ("Forget that.", "Forgotten: I parked on level three")):  # fmt: skip
        await p.fill("#question", typed)  # type: ignore[attr-defined]
        await p.click("#ask-btn")  # type: ignore[attr-defined]
        await p.wait_for_function(  # type: ignore[attr-defined]
            f"window.glassmate.answers.some(a => a.includes({answer!r}))", timeout=30_000
        )
    state = await p.evaluate("window.glassmate")  # type: ignore[attr-defined]
    assert "„I parked on level three“" in state["answers"][-2] and state["routes"][-3:] == ["memory"] * 3


async def test_look_to_pay_from_the_page(speech_wav: Path, tmp_path: Path) -> None:
    """The camera sees a merchant's QR code: the confirmation card and the payment panel appear; "confirm"
    (typed here, spoken on glasses) plus the held confirm button pays; the receipt card replaces the card."""
    from glassmate.payments.emv import build
    from glassmate.testing.scenes import render_qr_scene, write_y4m

    payload = build(merchant_name="Cafe Lisboa", merchant_city="Berlin", currency_numeric="978", country="DE",
                    amount="4.50")  # fmt: skip
    video = tmp_path / "counter.y4m"
    write_y4m(str(video), render_qr_scene(payload))
    async with glasses_page(speech_wav, tmp_path / "home", video=video, funds=2_000) as (p, _base, app):
        await p.wait_for_function("window.glassmate.connected", timeout=30_000)
        await p.select_option("#mode", "ptt")  # the looping fake microphone stays out of it
        await p.click("#frame")
        await p.wait_for_function("window.glassmate.cards.some(c => c.title === 'Pay Cafe Lisboa')", timeout=30_000)
        assert await p.locator("#payment").is_visible()
        assert "4.50 EUR" in await p.locator("#payment-what").inner_text()
        await p.fill("#question", "Confirm.")
        await p.click("#ask-btn")
        await p.wait_for_function("window.glassmate.answers.some(a => a.includes('hold the button'))", timeout=30_000)
        await p.click("#pay-confirm", delay=700)  # held for 0.7 s: the confirm gesture
        await p.wait_for_function("window.glassmate.cards.some(c => c.title === 'Paid')", timeout=30_000)
        assert not await p.locator("#payment").is_visible()
        assert await p.locator("#cards .card h3", has_text="Paid").count() == 1
        assert await p.locator("#cards .card h3", has_text="Pay Cafe Lisboa").count() == 0  # replaced
        state = await p.evaluate("window.glassmate")
        assert [pay["state"] for pay in state["payments"]] == ["created", "settled"]
        assert app.state.services.payments.balances("device:e2e-browser") == {"EUR": 2_000 - 450}


async def test_walking_guidance_on_the_page(speech_wav: Path, tmp_path: Path) -> None:
    """ "Take me to the cathedral" with the browser's GPS at the railway station: the HUD shows the arrow, the
    distance and the map's attribution; the test walks the route by moving the browser's position (fixes every
    8 m, as a phone's geolocation reports them) and the page shows the arrival."""
    from glassmate.testing.gps import walk

    station, cathedral = (60.17115, 24.94178), (60.17031, 24.95223)
    async with glasses_page(speech_wav, tmp_path / "home", geolocation=station) as (p, _base, app):
        await p.wait_for_function("window.glassmate.connected", timeout=30_000)
        await p.select_option("#mode", "ptt")  # the looping fake microphone stays out of it
        await p.wait_for_function("window.glassmate.fixesSent > 0", timeout=30_000)
        await p.fill("#question", "Take me to Helsingin tuomiokirkko")
        await p.click("#ask-btn")
        await p.wait_for_function("window.glassmate.navigation.length > 0", timeout=30_000)
        assert await p.locator("#navigation").is_visible()
        assert (await p.locator("#nav-distance").inner_text()).endswith(" m")
        assert "OpenStreetMap" in await p.locator("#attribution").inner_text()
        route = app.state.services.navigation.load().graph.route_nodes(station, cathedral)
        for lat, lon in [*walk(route.points, 8.0), route.points[-1]]:
            await p.context.set_geolocation({"latitude": lat, "longitude": lon, "accuracy": 5})
            await p.wait_for_timeout(60)
        await p.wait_for_function("window.glassmate.navigation.some(n => n.state === 'arrived')", timeout=30_000)
        state = await p.evaluate("window.glassmate")
        assert state["fixesSent"] > len(route.points) // 2
        modifiers = {n["maneuver"]["modifier"] for n in state["navigation"] if n["maneuver"]}
        assert modifiers & {"left", "right", "slight left", "slight right"}
        assert "off-route" not in [n["state"] for n in state["navigation"]]
        assert await p.locator("#nav-street").inner_text() == "arrived"
        await p.wait_for_function("window.glassmate.answers.some(a => a.includes('arrived at Helsinki Cathedral'))",
                                  timeout=30_000)  # fmt: skip


async def test_a_meeting_recorded_and_read_on_the_page(tmp_path: Path) -> None:
    """The fake microphone plays a two-voice meeting: "record this meeting" (typed; spoken on glasses) shows the
    REC pill with its clock, people's lines come into the log as a live transcript, the record button stops it
    and hides the pill; when the notes are done the meeting is in the page's list, and opening it shows the
    speakers (one renamed here), the notes and the transcript; the search box finds it by a word that was said."""
    from glassmate.testing.meetings import scripted_meeting
    from tests.integration.test_meetings import SCRIPT

    models = Models(settings=Settings())
    meeting = await scripted_meeting(SCRIPT, tts=models.tts)
    await models.aclose()
    talk = meeting.audio.resampled(48_000).samples
    clip = np.concatenate([np.zeros(48_000 * 8, np.float32), talk, np.zeros(48_000 * 40, np.float32)])
    wav = tmp_path / "meeting.wav"
    soundfile.write(wav, clip, 48_000, subtype="PCM_16")
    async with glasses_page(wav, tmp_path / "home") as (p, _base, app):
        await p.wait_for_function("window.glassmate.connected", timeout=30_000)
        await p.fill("#question", "Record this meeting.")
        await p.click("#ask-btn")
        await p.wait_for_function("window.glassmate.recording", timeout=30_000)
        assert await p.locator("#rec").is_visible()
        await p.wait_for_function("!document.querySelector('#hud-audio').hidden", timeout=10_000)  # the HUD's light
        # Stopped once the line with "Friday" was heard live (a count of lines raced: the live transcript may cut a
        # sentence in two, and four lines then ended before it).
        await p.wait_for_function("window.glassmate.meetingUpdates.some(m => m.line && /friday/i.test(m.line.text))",
                                  timeout=90_000)  # fmt: skip
        assert await p.locator("#rec-time").inner_text() != "0:00"
        assert await p.locator("#record").inner_text() == "■ Stop recording"
        await p.click("#record")  # the record button (spoken "stop recording" works too: test_meeting_session)
        await p.wait_for_function("!window.glassmate.recording", timeout=30_000)
        assert not await p.locator("#rec").is_visible()
        await p.wait_for_function("document.querySelector('#hud-privacy').hidden", timeout=10_000)
        await p.wait_for_function("window.glassmate.meetingUpdates.some(m => m.status === 'done')", timeout=180_000)
        await p.wait_for_function("window.glassmate.meetings.some(m => m.status === 'done')", timeout=30_000)

        await p.locator("#meeting-list li").first.click()
        await p.wait_for_function("document.querySelector('#meeting-view').dataset.status === 'done'", timeout=30_000)
        transcript = await p.locator("#mv-transcript").inner_text()
        assert "budget" in transcript.lower() and "Friday" in transcript
        assert await p.locator("#mv-speakers button").count() >= 1
        assert await p.locator("#mv-title").inner_text()
        p.once("dialog", lambda dialog: dialog.accept("Anna"))
        await p.locator("#mv-speakers button").first.click()
        await p.wait_for_function("document.querySelector('#mv-speakers').innerText.includes('Anna')",
                                  timeout=10_000)  # fmt: skip
        assert "Anna" in await p.locator("#mv-transcript").inner_text()

        await p.fill("#meeting-search", "revised numbers")
        await p.click("#meeting-search-form button")
        await p.wait_for_function("window.glassmate.meetings.length === 1 && window.glassmate.meetings[0].matches",
                                  timeout=10_000)  # fmt: skip
        assert "numbers" in (await p.locator("#meeting-list .match").first.inner_text()).lower()
        state = await p.evaluate("window.glassmate")
        assert state["errors"] == []
        stored = app.state.services.meetings.recent()
        assert len(stored) == 1 and stored[0]["source"] == "glasses" and stored[0]["audio_kept"]
