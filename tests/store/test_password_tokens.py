"""PPPoE password tokens: Fernet's, fresh each time, read only with their key, safe across threads."""

from __future__ import annotations

import threading

import pytest
from cryptography.fernet import Fernet, InvalidToken

from ispclient import logging_setup
from ispclient.store.secrets import KeyMissing, PasswordCipher


@pytest.fixture(autouse=True)
def own_secret_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """encrypt() registers each password for the log scrubber: these stay out of other tests' logs."""
    monkeypatch.setattr(logging_setup, "_secrets", set())
    monkeypatch.setattr(logging_setup, "_by_prefix", {})
    monkeypatch.setattr(logging_setup, "_starred", set())


PASSWORDS = ["", "a", "pw12345678", "x" * 15, "y" * 16, "z" * 17, "Zoë-Müller_ß", "пароль-2026", "密码🔑", "p" * 100]


def test_tokens_are_fernets() -> None:
    key = Fernet.generate_key()
    cipher, fernet = PasswordCipher(key), Fernet(key)
    for password in PASSWORDS:
        token = cipher.encrypt(password)
        assert fernet.decrypt(token.encode("ascii")).decode("utf-8") == password
        assert cipher.decrypt(token) == password
        assert len(password) < 8 or password not in token


def test_each_token_is_new_and_only_its_key_reads_it() -> None:
    key = Fernet.generate_key()
    cipher = PasswordCipher(key)
    tokens = {cipher.encrypt("same password") for _ in range(50)}
    assert len(tokens) == 50  # a fresh IV each time
    other = PasswordCipher(Fernet.generate_key())
    with pytest.raises(KeyMissing):
        other.decrypt(next(iter(tokens)))
    tampered = bytearray(next(iter(tokens)).encode())
    tampered[40] = ord("A") if tampered[40] != ord("A") else ord("B")  # one character of the cipher text
    with pytest.raises(InvalidToken):
        Fernet(key).decrypt(bytes(tampered))


def test_threads_share_one_cipher() -> None:
    cipher = PasswordCipher(Fernet.generate_key())
    out: dict[int, list[str]] = {}

    def work(n: int) -> None:
        out[n] = [cipher.encrypt(f"pw-{n}-{i}") for i in range(300)]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(cipher.decrypt(tok) == f"pw-{n}-{i}" for n, toks in out.items() for i, tok in enumerate(toks))
