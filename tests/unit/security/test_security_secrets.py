"""SecretStore: generated, never overwritten, rotated on request, 0600 in a 0700 folder; .env; redaction;
and the leak scanner finds a planted secret (so a clean scan elsewhere means something)."""

from __future__ import annotations

from pathlib import Path

import pytest

from minisoc.errors import UsageError
from minisoc.render.secrets import format_env
from minisoc.security import SecretStore, find_leaks, redact
from minisoc.security.secrets import REDACTED, alphanumeric


def test_ensure_generates_once_with_strict_modes(tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    first = store.ensure("misp-admin-password")
    assert len(first) >= 43
    assert store.ensure("misp-admin-password") == first
    assert (tmp_path / "secrets").stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "secrets" / "misp-admin-password").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "secrets" / "misp-admin-password").read_bytes() == first.encode()  # no newline


def test_two_secrets_and_two_sites_never_share_a_value(tmp_path: Path) -> None:
    one, two = SecretStore(tmp_path / "a"), SecretStore(tmp_path / "b")
    values = {one.ensure("x"), one.ensure("y"), two.ensure("x"), two.ensure("y")}
    assert len(values) == 4


def test_a_value_the_user_put_there_is_kept(tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "key").write_text("chosen-by-the-operator-123\n")
    assert store.ensure("key") == "chosen-by-the-operator-123"


def test_rotate_replaces_and_returns_the_new_value(tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    old = store.ensure("opensearch-admin-password")
    new = store.rotate("opensearch-admin-password")
    assert new != old and store.get("opensearch-admin-password") == new
    assert (tmp_path / "secrets" / "opensearch-admin-password").stat().st_mode & 0o777 == 0o600


def test_misp_style_keys_are_40_letters_and_digits(tmp_path: Path) -> None:
    key = SecretStore(tmp_path).ensure("misp-correlator-key", generate=alphanumeric(40))
    assert len(key) == 40 and key.isalnum()


@pytest.mark.parametrize("name", ["../x", "a/b", "..", ".hidden", "", "UPPER", "x" * 65])
def test_secret_names_cannot_escape_the_secrets_folder(tmp_path: Path, name: str) -> None:
    with pytest.raises(UsageError):
        SecretStore(tmp_path).ensure(name)
    assert not any(tmp_path.rglob("x"))


def test_an_empty_secret_file_is_reported_not_used(tmp_path: Path) -> None:
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "key").write_text("")
    with pytest.raises(UsageError, match="not a usable secret") as caught:
        SecretStore(tmp_path).ensure("key")
    assert caught.value.hint and "delete" in caught.value.hint


def test_env_file_is_sorted_and_quoted_and_refuses_unsafe_values() -> None:
    text = format_env({"b-password": "abc-def_123", "a-url": "https://x.example/a b"})
    assert text.splitlines()[-2:] == ["A_URL='https://x.example/a b'", "B_PASSWORD=abc-def_123"]
    assert format_env({"a-url": "https://x.example/a b", "b-password": "abc-def_123"}) == text
    with pytest.raises(UsageError):
        format_env({"x": "it's"})


def test_redact_hides_every_secret_longest_first() -> None:
    secret = "s3cr3t-value-1234567890"
    text = f"connecting with password={secret} and {secret}-suffix"
    assert redact(text, [secret, "short"]) == f"connecting with password={REDACTED} and {REDACTED}-suffix"


def test_find_leaks_finds_planted_secrets_by_name_and_line(tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    value = store.ensure("opensearch-admin-password")
    (tmp_path / "compose.yaml").write_text("services:\n  a:\n    environment:\n      P: " + value + "\n")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "clean.yml").write_text("nothing: here\n")
    leaks = find_leaks(
        [tmp_path],
        store.values(),
        texts={"stdout": f"ok\n{value}"},
        exclude=[tmp_path / "secrets", tmp_path / ".env"],
    )
    assert [(Path(leak.where).name if "/" in leak.where else leak.where, leak.line) for leak in leaks] == [
        ("compose.yaml", 4),
        ("stdout", 2),
    ]
    assert all(leak.secret == "opensearch-admin-password" for leak in leaks)
    assert value not in " ".join(str(leak) for leak in leaks)


def test_find_leaks_is_clean_when_secrets_stay_in_their_place(tmp_path: Path) -> None:
    store = SecretStore(tmp_path)
    env = format_env({"misp-admin-password": store.ensure("misp-admin-password")})
    (tmp_path / ".env").write_text(env)
    (tmp_path / "compose.yaml").write_text("environment:\n  MISP_ADMIN_PASSWORD: ${MISP_ADMIN_PASSWORD}\n")
    assert find_leaks([tmp_path], store.values(), exclude=[tmp_path / "secrets", tmp_path / ".env"]) == []
    assert find_leaks([tmp_path], store.values()) != []  # without the exclusions the .env itself is a hit
