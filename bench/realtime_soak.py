"""A soak test of the realtime loop: one pair of glasses in translation mode says "Wait, stop." and a German
sentence, turn after turn, until N rounds pass or a turn stalls (no event for 20 s).

On a stall it prints the TCP queues of the connection (`ss`: where the unread bytes are) and sends the server
SIGUSR1, which logs every asyncio task's stack into bench/out/realtime_soak_server.log. Run it with load on the
machine (e.g. two `yes > /dev/null`) to reproduce the intermittent stall noted in bench/RESULTS.md:
`.venv/bin/python bench/realtime_soak.py --rounds 60`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

from glassmate.audio import pcm16_to_audio
from glassmate.client import GlassesClient
from glassmate.config import Settings
from glassmate.runtime import Models
from served import glassmate_server

OUT = Path(__file__).parent / "out"


def diagnose(pid: int) -> None:
    print(subprocess.run(["ss", "-tnpi"], capture_output=True, text=True).stdout, flush=True)
    os.kill(pid, signal.SIGUSR1)
    time.sleep(2)


async def soak(base: str, token: str, pid: int, rounds: int) -> int:
    models = Models(settings=Settings())

    async def voice(text: str, language: str = "en"):  # type: ignore[no-untyped-def]
        chunk = await models.tts.synthesize(text, language=language)
        return pcm16_to_audio(chunk.pcm16, chunk.sample_rate)

    async with GlassesClient(base_url=base, token=token) as glasses:
        await glasses.configure(glassmate={"translation": {"enabled": True, "other_language": "de"}})
        for i in range(rounds):
            try:
                # Synthesised each round, between turns, as the stalls were first seen (the client busy meanwhile).
                turn = await glasses.turn(await voice("Wait, stop."), limit_s=20)
                await glasses.say_and_watch(
                    await voice("Ich verstehe das nicht.", "de"),
                    lambda e: e.type == "hud.caption" and e.kind == "translation" and e.final,
                    limit_s=20,
                )
            except TimeoutError as exc:
                print(f"round {i}: STALL ({exc})", flush=True)
                await asyncio.to_thread(diagnose, pid)
                return 1
            print(f"round {i}: stop routed to {turn.route} in {turn.ms('done')} ms", flush=True)
    await models.aclose()
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--websocket-impl", default="auto", help="uvicorn's: auto, websockets, websockets-sansio")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    env = {"GLASSMATE_SERVER__WEBSOCKET_IMPL": args.websocket_impl}
    with glassmate_server(credential="devices", log=OUT / "realtime_soak_server.log", env=env) as served:
        raise SystemExit(asyncio.run(soak(served.base, served.secret, served.pid, args.rounds)))


if __name__ == "__main__":
    main()
