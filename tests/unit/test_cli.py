from pathlib import Path

import pytest
import segno
from typer.testing import CliRunner

from glassmate.cli import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("models", "ask", "transcribe", "say", "scan", "config", "serve"):
        assert command in result.output


def test_config_redacts_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLASSMATE_LLM__REMOTE__API_KEY", "sk-top-secret")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0
    assert "sk-top-secret" not in result.output and "**********" in result.output


def test_models_on_an_empty_home_says_what_to_do(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GLASSMATE_HOME", str(tmp_path))
    result = runner.invoke(app, ["models"])
    assert "llm" in result.output and "Qwen2.5" in result.output
    assert "unprepared" in result.output or "missing" in result.output


def test_scan_finds_a_qr_code(tmp_path: Path) -> None:
    path = tmp_path / "qr.png"
    segno.make("glassmate test", error="m").save(str(path), scale=6, border=4)
    result = runner.invoke(app, ["scan", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert '"QRCode"' in result.output and "glassmate test" in result.output


def test_scan_of_a_corrupt_image_fails_with_a_code(tmp_path: Path) -> None:
    path = tmp_path / "broken.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    result = runner.invoke(app, ["scan", str(path)])
    assert result.exit_code == 2
    assert "image-unreadable" in result.output


def test_transcribe_of_a_missing_file_fails_with_a_code(tmp_path: Path) -> None:
    result = runner.invoke(app, ["transcribe", str(tmp_path / "nope.wav")])
    assert result.exit_code == 2
    assert "file-unreadable" in result.output


@pytest.mark.parametrize(("kind", "prefix"), [("devices", "gm_"), ("keys", "sk-gm-")])
def test_credentials_add_list_revoke(kind: str, prefix: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GLASSMATE_HOME", str(tmp_path))
    added = runner.invoke(app, [kind, "add", "alpha"])
    assert added.exit_code == 0
    secret = added.stdout.strip().splitlines()[-1]
    assert secret.startswith(prefix) and len(secret) > 40
    assert runner.invoke(app, [kind, "add", "alpha"]).exit_code == 2  # names are unique
    listed = runner.invoke(app, [kind, "list"])
    assert "alpha" in listed.output and "active" in listed.output and secret not in listed.output
    assert runner.invoke(app, [kind, "revoke", "alpha"]).exit_code == 0
    assert "revoked" in runner.invoke(app, [kind, "list"]).output
    assert secret not in (tmp_path / "glassmate.db").read_bytes().decode("latin-1")  # only its hash is stored


def test_travel_booking_refuses_what_is_no_booking_without_loading_a_model(monkeypatch: pytest.MonkeyPatch,
                                                                           tmp_path: Path) -> None:  # fmt: skip
    monkeypatch.setenv("GLASSMATE_HOME", str(tmp_path))  # no models prepared here: none may be loaded
    recipe = tmp_path / "recipe.txt"
    recipe.write_text("Grandma's apple pie. Bake 45 minutes. Posted 12.03.2026\n")
    result = runner.invoke(app, ["travel", "booking", str(recipe)])
    assert result.exit_code != 0 and "booking-unrecognized" in result.output
    result = runner.invoke(app, ["travel", "bookings"])
    assert result.exit_code == 0 and "no bookings" in result.output
    assert runner.invoke(app, ["travel", "booking", str(tmp_path / "missing.txt")]).exit_code == 2


def test_memory_list_forget_and_export(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import asyncio
    import zipfile

    from glassmate.config import Settings
    from glassmate.memory.service import Memories
    from glassmate.store import Database
    from glassmate.testing.fakes import FakeEmbedder

    monkeypatch.setenv("GLASSMATE_HOME", str(tmp_path))  # no models prepared here: listing loads none
    settings = Settings(home=tmp_path)
    memories = Memories(db=Database(url=settings.db_url), embedder=FakeEmbedder(), settings=settings.memory)
    made = asyncio.run(memories.remember("device:g", "I parked on level three"))
    asyncio.run(memories.remember("device:g", "My locker is number 42"))
    listed = runner.invoke(app, ["memory", "list", "--owner", "device:g"])
    assert listed.exit_code == 0 and "I parked on level three" in listed.output and made.id in listed.output
    assert runner.invoke(app, ["memory", "forget", "--owner", "device:g"]).exit_code == 2  # forget what?
    assert runner.invoke(app, ["memory", "forget", made.id, "--owner", "device:other"]).exit_code != 0
    assert runner.invoke(app, ["memory", "forget", made.id, "--owner", "device:g"]).exit_code == 0
    assert "level three" not in runner.invoke(app, ["memory", "list", "--owner", "device:g"]).output
    target = tmp_path / "export.zip"
    exported = runner.invoke(app, ["memory", "export", "--owner", "device:g", "-o", str(target)])
    assert exported.exit_code == 0, exported.output
    assert b"locker" in zipfile.ZipFile(target).read("memories.json")
    forgot = runner.invoke(app, ["memory", "forget", "--all", "--owner", "device:g"])
    assert "forgot 1 memories" in forgot.output
    assert "no memories" in runner.invoke(app, ["memory", "list", "--owner", "device:g"]).output
