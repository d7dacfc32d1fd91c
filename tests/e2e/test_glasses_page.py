"""End to end: the glasses page in headless Chromium (Debian's), with a fake microphone that plays a spoken
question, against a server running the real embedded models. A screenshot is kept in test-artifacts/."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

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


@pytest.fixture
async def page(speech_wav: Path, tmp_path: Path) -> AsyncIterator[tuple[object, str]]:
    from playwright.async_api import async_playwright

    settings = Settings(home=tmp_path)
    # Models come from the prepared default home; devices live in this test's own database.
    models = Models(settings=Settings())
    app = create_app(settings, models=models, preload=True)
    _, token = app.state.services.devices.add("e2e-browser")
    with serve_in_thread(app) as base:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--use-fake-ui-for-media-stream",
                    "--use-fake-device-for-media-stream",
                    f"--use-file-for-fake-audio-capture={speech_wav}",
                    "--autoplay-policy=no-user-gesture-required",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                ],
            )
            context = await browser.new_context(viewport={"width": 1000, "height": 900})
            page = await context.new_page()
            page.on("console", lambda msg: print("console:", msg.text))
            await page.goto(f"{base}/#token={token}&autostart=1")
            try:
                yield page, base
            finally:
                ARTIFACTS.mkdir(exist_ok=True)
                await page.screenshot(path=str(ARTIFACTS / "glasses-page.png"))
                await browser.close()


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
