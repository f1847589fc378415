"""The identity vault: the only module that encrypts and decrypts personal data.

A victim's name, aliases, ID number, address, phone and health notes live only in `person`, each
field encrypted on its own with Fernet (AES-128-CBC + HMAC-SHA256), so a database dump, a backup
or a careless query shows nothing readable. Disclosing them is an offence (Decree 98/2026/NĐ-CP
Art. 8) besides the harm, so:

- nothing here logs, and no exception message holds a decrypted value, a name or a token;
- this module holds the cryptography only, no policy. Who may read, for which case's province
  and for which purpose (`PURPOSES`), and writing the audit row for each read, are the caller's
  job (the case service): keeping them out of here keeps this module small enough to review
  line by line, and stops anyone from mistaking "can decrypt" for "may read".

Duplicates are found without decrypting anything: `match_key` is a keyed hash (HMAC-SHA256) of
the diacritic-insensitive name and the birth date, equal for the same person received twice and
useless to anyone who lacks the vault key (a plain hash of a name and a birth date could be
reversed by trying every likely name).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import unicodedata
from collections.abc import Sequence
from datetime import date
from typing import overload

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from cases.exceptions import InvalidInput, VaultUnavailable
from cases.models import Person
from cases.settings import get_settings

PERSON_FIELDS = ("full_name", "aliases", "id_number", "address", "phone", "health_notes")

PURPOSES: frozenset[str] = frozenset(
    {
        "intake_verification",
        "identification",
        "decision_document",
        "referral",
        "follow_up",
        "legal_aid",
        "audit_investigation",
    }
)

_MATCH_KEY_LABEL = b"vongtay-match-key"

# đ/Đ (and the look-alike eth ð/Ð that some keyboards and OCR produce) are letters of their own,
# not d plus a mark, so NFKD leaves them whole: map them by hand.
_LETTERS_WITHOUT_DECOMPOSITION = str.maketrans({"đ": "d", "Đ": "d", "ð": "d", "Ð": "d"})


class VaultError(RuntimeError):
    """A stored field cannot be decrypted: the key is wrong, or the data was altered.

    The message never holds the value or the token, only what went wrong.
    """


def normalise_name(name: str) -> str:
    """The form of a name that duplicate search compares.

    Staff type the same name with or without diacritics, in another case, with stray spaces, or
    in decomposed Unicode (macOS, some phones), and people are received more than once: all of
    these must meet on one key ("Nguyễn Thị  Ánh" and "nguyen thi anh" → "nguyen thi anh").
    """
    text = name.translate(_LETTERS_WITHOUT_DECOMPOSITION).casefold()
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.split())


class Vault:
    """Field-by-field encryption of personal data, and the keyed duplicate-match hash.

    `Vault(key)` uses one Fernet key. For key rotation pass `Vault(keys=[new, old, ...])`: the
    first key encrypts, every key decrypts, so existing rows stay readable while they are
    re-encrypted. Each key yields its own match-key subkey (see `match_keys`).
    """

    def __init__(self, key: bytes | None = None, *, keys: Sequence[bytes] | None = None) -> None:
        if (key is None) == (keys is None):
            raise ValueError("give the vault either one key or a list of keys, not both")
        all_keys = [key] if key is not None else list(keys or ())
        if not all_keys:
            raise ValueError("the vault needs at least one key")
        try:
            fernets = [Fernet(k) for k in all_keys]
        except (ValueError, TypeError):
            raise ValueError(
                "a vault key is not valid: it must be 32 url-safe base64-encoded bytes"
            ) from None
        self._fernet = MultiFernet(fernets)
        # The raw Fernet key signs and encrypts; the match key gets its own subkey derived with
        # HMAC and a label, so no key is ever used raw for two purposes.
        self._match_subkeys = [
            hmac.digest(base64.urlsafe_b64decode(k), _MATCH_KEY_LABEL, "sha256") for k in all_keys
        ]

    @overload
    def encrypt(self, text: str) -> bytes: ...
    @overload
    def encrypt(self, text: None) -> None: ...
    def encrypt(self, text: str | None) -> bytes | None:
        """Encrypt one field (None stays None, so an absent field stays absent)."""
        if text is None:
            return None
        return self._fernet.encrypt(text.encode("utf-8"))

    @overload
    def decrypt(self, token: bytes) -> str: ...
    @overload
    def decrypt(self, token: None) -> None: ...
    def decrypt(self, token: bytes | None) -> str | None:
        """Decrypt one field; a wrong key or altered data is a `VaultError` that names neither.

        Fernet's `InvalidToken` is replaced (not chained) so that nothing of the token travels
        into logs or error reports.
        """
        if token is None:
            return None
        try:
            plain = self._fernet.decrypt(bytes(token))
        except InvalidToken:
            raise VaultError(
                "a personal-data field could not be decrypted: the vault key is wrong or the "
                "stored data was altered"
            ) from None
        return plain.decode("utf-8")

    def match_key(self, full_name: str, birth_date: date) -> str:
        """The duplicate-search key of a person, under the current (first) key.

        Same person typed differently → same key; another birth date → another key. It is an
        HMAC, not a plain hash, so the column cannot be reversed by guessing names.
        """
        return self._match_key(self._match_subkeys[0], full_name, birth_date)

    def match_keys(self, full_name: str, birth_date: date) -> list[str]:
        """The match key under every key, current first.

        During a key rotation older rows still carry match keys made with an older key; a
        duplicate search asks for `match_key IN (...)` with all of these so it misses none.
        """
        return [self._match_key(subkey, full_name, birth_date) for subkey in self._match_subkeys]

    @staticmethod
    def _match_key(subkey: bytes, full_name: str, birth_date: date) -> str:
        message = f"{normalise_name(full_name)}|{birth_date.isoformat()}".encode()
        return hmac.new(subkey, message, hashlib.sha256).hexdigest()


def seal_person(
    vault: Vault,
    *,
    full_name: str,
    birth_date: date,
    aliases: Sequence[str] | None = None,
    id_number: str | None = None,
    address: str | None = None,
    phone: str | None = None,
    health_notes: str | None = None,
) -> Person:
    """A new, unsaved `Person` row with every personal field encrypted and its match key set.

    This is the one way personal data enters the database, so nothing readable can be stored by
    mistake. The birth date only feeds the match key: it stays in the case facts (the law needs
    it there), not in the vault row.
    """
    if not full_name.strip() or not normalise_name(full_name):
        raise InvalidInput("the full name is required", field="full_name", rule="required")
    if aliases is not None and (
        isinstance(aliases, str) or not all(isinstance(alias, str) for alias in aliases)
    ):
        raise InvalidInput("aliases must be a list of names", field="aliases", rule="type")
    aliases_json = json.dumps(list(aliases), ensure_ascii=False) if aliases is not None else None
    return Person(
        match_key=vault.match_key(full_name, birth_date),
        full_name=vault.encrypt(full_name),
        aliases=vault.encrypt(aliases_json),
        id_number=vault.encrypt(id_number),
        address=vault.encrypt(address),
        phone=vault.encrypt(phone),
        health_notes=vault.encrypt(health_notes),
    )


def open_person(vault: Vault, person: Person) -> dict[str, object]:
    """Every personal field of `person`, decrypted (`aliases` as a list, [] when none).

    The caller must already have checked role, province and purpose and must audit the read:
    this function only decrypts (see the module docstring).
    """
    aliases_json = vault.decrypt(person.aliases)
    aliases: list[str] = json.loads(aliases_json) if aliases_json is not None else []
    return {
        "full_name": vault.decrypt(person.full_name),
        "aliases": aliases,
        "id_number": vault.decrypt(person.id_number),
        "address": vault.decrypt(person.address),
        "phone": vault.decrypt(person.phone),
        "health_notes": vault.decrypt(person.health_notes),
    }


def open_or_refuse(person: Person, field: str) -> dict[str, object]:
    """`open_person` with the process's vault, for a use case: a record the configured key
    cannot decrypt (a wrong or rotated-out key) is refused as `VaultUnavailable` on `field`,
    an error that says what is wrong without a word of the record.

    As for `open_person`, the caller has checked the reader and audits the read.
    """
    try:
        return open_person(default_vault(), person)
    except VaultError:
        raise VaultUnavailable(
            "the record cannot be decrypted with the configured vault key",
            field=field,
            rule="vault_key",
        ) from None


@functools.cache
def default_vault() -> Vault:
    """The process's vault, from `VONGTAY_VAULT_KEY` (or the dev key of the SQLite default).

    Made once: the key is read and checked at the first use, and a missing key in production
    fails there with the settings' clear message.
    """
    return Vault(get_settings().resolved_vault_key())
