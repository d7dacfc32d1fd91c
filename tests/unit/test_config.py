import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from glassmate.config import Settings
from glassmate.errors import ConfigError


def test_defaults_bind_to_loopback() -> None:
    assert Settings().server.host == "127.0.0.1"


def test_env_vars_set_nested_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLASSMATE_LLM__N_THREADS", "1")
    monkeypatch.setenv("GLASSMATE_LLM__REMOTE__BASE_URL", "http://gpu:8000/v1")
    settings = Settings()
    assert settings.llm.n_threads == 1
    assert settings.llm.remote.base_url == "http://gpu:8000/v1"


def test_toml_file_is_read_and_env_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    toml = tmp_path / "glassmate.toml"
    toml.write_text('[llm]\nn_threads = 1\nmax_tokens = 99\n[asr]\nbackend = "openai"\n')
    monkeypatch.setenv("GLASSMATE_CONFIG", str(toml))
    monkeypatch.setenv("GLASSMATE_LLM__MAX_TOKENS", "7")
    settings = Settings()
    assert settings.llm.n_threads == 1
    assert settings.llm.max_tokens == 7
    assert settings.asr.backend == "openai"


def test_missing_toml_file_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GLASSMATE_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError):
        Settings()


def test_unknown_keys_and_bad_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLASSMATE_LLM__BACKEND", "quantum")
    with pytest.raises(ValidationError):
        Settings()


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValidationError):
        settings.llm.n_threads = 4  # type: ignore[misc]


def test_redacted_hides_every_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLASSMATE_LLM__REMOTE__API_KEY", "sk-very-secret")
    monkeypatch.setenv("GLASSMATE_TTS__REMOTE__API_KEY", "sk-also-secret")
    settings = Settings()
    dumped = json.dumps(settings.redacted())
    assert "secret" not in dumped
    assert settings.llm.remote.api_key.get_secret_value() == "sk-very-secret"
    assert "sk-very-secret" not in repr(settings)
