"""Passwords: argon2id hashing (cheap under the test suite), the dummy hash that makes an
unknown name cost what a wrong password does, and the password policy."""

from __future__ import annotations

import secrets
import string
from functools import lru_cache

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from habeas.config import get_settings
from habeas.errors import field_error

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # a passphrase fits; a megabyte to hash does not


class Hasher:
    """Hasher is argon2id with the library's current parameters — or, when the test suite
    sets HABEAS_INSECURE_FAST_PASSWORD_HASHING, with the cheapest ones. Both are chosen at
    the first use, not at import: a CLI run that checks no password computes no hash."""

    @staticmethod
    def _current() -> PasswordHash:
        return _password_hash(get_settings().insecure_fast_password_hashing)

    def hash(self, password: str) -> str:
        return self._current().hash(password)

    def verify(self, password: str, hashed: str) -> bool:
        return self._current().verify(password, hashed)

    def dummy(self) -> str:
        """dummy is a hash of nothing, checked when the user is unknown so a wrong name and
        a wrong password take the same time."""
        return _dummy_hash(get_settings().insecure_fast_password_hashing)


@lru_cache(maxsize=2)
def _password_hash(cheap: bool) -> PasswordHash:
    if cheap:
        return PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
    return PasswordHash.recommended()


@lru_cache(maxsize=2)
def _dummy_hash(cheap: bool) -> str:
    return _password_hash(cheap).hash(secrets.token_hex(16))


hasher = Hasher()

# Passwords that meet the length rule and are still among the first an attacker tries
# (the most common entries of public breach corpora, 12 characters or more), and the
# words such passwords are built from: "Password2024!" is "password" plus decoration.
COMMON_PASSWORDS = frozenset({
    "123456789012", "1234567890123", "12345678901234", "123123123123", "111111111111",
    "000000000000", "123456123456", "qwertyuiopas", "qwerty123456", "1q2w3e4r5t6y",
    "1qaz2wsx3edc", "q1w2e3r4t5y6", "zaq12wsxcde3", "asdfghjklzxc", "password1234",
    "password123!", "passw0rd1234", "iloveyou1234", "abcdefghijkl", "abc123abc123",
    "letmein12345", "welcome12345", "administrator", "qwertyqwerty", "passwordpassword",
    "trustno1trustno1", "correcthorsebatterystaple",
})
COMMON_WORDS = frozenset({
    "password", "passw0rd", "p@ssword", "p@ssw0rd", "qwerty", "qwertyuiop", "letmein",
    "welcome", "admin", "administrator", "iloveyou", "monkey", "dragon", "sunshine",
    "football", "baseball", "princess", "master", "superman", "starwars", "whatever",
    "trustno", "changeme", "secret", "login", "habeas", "prison", "custody", "transfer",
})
_SEQUENCES = ("0123456789012345678901234567890", "9876543210987654321098765432109",
              "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm")
_DECORATION = string.digits + string.punctuation + string.whitespace


def check_password_policy(password: str, username: str) -> None:
    """check_password_policy refuses short passwords, ones containing the user name, and
    ones an attacker would try first (NIST SP 800-63B §5.1.1.2: check against "passwords
    obtained from previous breach corpora" and "dictionary words")."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise field_error("password", f"must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise field_error("password", f"must be at most {MAX_PASSWORD_LENGTH} characters")
    if username.lower() in password.lower():
        raise field_error("password", "must not contain the user name")
    folded = password.lower()
    squeezed = "".join(folded.split())
    core = folded.strip(_DECORATION)
    if (folded in COMMON_PASSWORDS or squeezed in COMMON_PASSWORDS or core in COMMON_WORDS
            or len(set(squeezed)) < 4 or any(squeezed in seq for seq in _SEQUENCES)):
        raise field_error("password", "is too common or too easy to guess")
