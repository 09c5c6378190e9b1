"""Settings: embedded defaults, derived values, the secret key, and the README's table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from pixie.config import RegistrationMode, Settings

README = Path(__file__).parent.parent / "README.md"


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def test_embedded_defaults_need_no_server(tmp_path: Path) -> None:
    s = settings(data_dir=tmp_path)
    assert s.database_url == f"sqlite+aiosqlite:///{tmp_path.as_posix()}/pixie.sqlite3"
    assert s.redis_url == ""
    assert s.registrations is RegistrationMode.INVITE
    assert s.rate_limits is True
    assert s.require_email_confirmation is False
    assert s.domain == "127.0.0.1:8000"


def test_values_derive_from_the_base_url_and_smtp() -> None:
    s = settings(base_url="https://pixie.example/", smtp_host="mail.example")
    assert s.base_url == "https://pixie.example"
    assert s.domain == "pixie.example"
    assert s.url("/api/v1/instance") == "https://pixie.example/api/v1/instance"
    assert s.require_email_confirmation is True
    assert (
        settings(smtp_host="mail.example", require_email_confirmation=False).require_email_confirmation
        is False
    )


@pytest.mark.parametrize("bad", ["pixie.example", "ftp://pixie.example", "https://"])
def test_base_url_must_be_absolute(bad: str) -> None:
    with pytest.raises(ValidationError):
        settings(base_url=bad)


def test_lists_from_environment_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIXIE_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1")
    monkeypatch.setenv("PIXIE_INSTANCE_RULES", "Be kind|No spam")
    s = Settings(_env_file=None)
    assert s.trusted_proxies == ["10.0.0.0/8", "127.0.0.1"]
    assert s.instance_rules == ["Be kind", "No spam"]


def test_the_secret_key_is_made_once_and_kept(tmp_path: Path) -> None:
    first = settings(data_dir=tmp_path).ensure_secret_key()
    second = settings(data_dir=tmp_path).ensure_secret_key()
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert settings(data_dir=tmp_path, secret_key="given").ensure_secret_key() == "given"


def test_readme_configuration_table_matches_the_settings() -> None:
    documented = set(re.findall(r"^\| `(PIXIE_[A-Z0-9_]+)` \|", README.read_text(), flags=re.MULTILINE))
    expected = {f"PIXIE_{name.upper()}" for name in Settings.model_fields}
    assert documented == expected
