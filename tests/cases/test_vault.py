"""The identity vault (design §3): field encryption, the duplicate match key, key handling."""

from __future__ import annotations

import logging
import unicodedata
from datetime import date

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from cases import vault as vault_module
from cases.exceptions import InvalidInput
from cases.models import Person
from cases.settings import get_settings
from cases.vault import (
    PERSON_FIELDS,
    PURPOSES,
    Vault,
    VaultError,
    default_vault,
    normalise_name,
    open_person,
    seal_person,
)
from tests.dbfixtures import write_session

BIRTH = date(1998, 3, 14)

# Every field, with the letters that break naive code: tones, đ, stacked marks.
PERSONAL = {
    "full_name": "Nguyễn Thị Ánh",
    "aliases": ["Ánh Đào", "Mỹ Hạnh", "Lò Thị Dợ"],
    "id_number": "001198012345",
    "address": "Thôn Phiêng Luông, xã Mường Lát, huyện Mường Lát, Thanh Hóa",
    "phone": "+84 912 345 678",
    "health_notes": "Sốt rét; cần khám phụ khoa; tâm lý: mất ngủ, sợ người lạ",
}


@pytest.fixture
def engine(module_engine: Engine) -> Engine:
    """The module's database (SQLite and PostgreSQL; tests/dbfixtures.py)."""
    return module_engine


@pytest.fixture
def db(engine: Engine) -> Engine:
    """The module's database with an empty `person` table."""
    with write_session(engine) as session:
        session.execute(delete(Person))
        session.commit()
    return engine


@pytest.fixture
def vault() -> Vault:
    return Vault(Fernet.generate_key())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguyễn Thị  Ánh", "nguyen thi anh"),
        ("  NGUYỄN   THỊ\tÁNH ", "nguyen thi anh"),
        ("Đặng Văn Đức", "dang van duc"),
        ("ĐỖ ĐÌNH ĐẠT", "do dinh dat"),
        ("Ðỗ Mỹ Linh", "do my linh"),  # Ð (eth), a look-alike of Đ some keyboards produce
        ("Lò Thị Dợ", "lo thi do"),
        ("Hoàng Thuỳ Dương", "hoang thuy duong"),
        ("", ""),
    ],
)
def test_normalise_name(raw: str, expected: str) -> None:
    assert normalise_name(raw) == expected


def test_normalise_name_is_the_same_for_composed_and_decomposed_unicode() -> None:
    name = "Nguyễn Thị Ánh"
    assert normalise_name(unicodedata.normalize("NFD", name)) == normalise_name(
        unicodedata.normalize("NFC", name)
    )


def test_match_key_ignores_diacritics_case_and_spacing(vault: Vault) -> None:
    typings = [
        "Nguyễn Thị Ánh",
        "nguyen thi anh",
        "NGUYEN  THI   ANH",
        " Nguyễn thị ánh ",
        unicodedata.normalize("NFD", "Nguyễn Thị Ánh"),
    ]
    keys = {vault.match_key(name, BIRTH) for name in typings}
    assert len(keys) == 1
    key = keys.pop()
    assert len(key) == 64
    assert int(key, 16) >= 0


def test_match_key_differs_for_another_birth_date_name_or_key(vault: Vault) -> None:
    key = vault.match_key("Nguyễn Thị Ánh", BIRTH)
    assert vault.match_key("Nguyễn Thị Ánh", date(1998, 3, 15)) != key
    assert vault.match_key("Nguyễn Thị Anh Đào", BIRTH) != key
    assert Vault(Fernet.generate_key()).match_key("Nguyễn Thị Ánh", BIRTH) != key


def test_match_key_is_keyed_not_a_plain_hash(vault: Vault) -> None:
    import hashlib

    message = f"nguyen thi anh|{BIRTH.isoformat()}".encode()
    assert vault.match_key("Nguyễn Thị Ánh", BIRTH) != hashlib.sha256(message).hexdigest()


def test_every_field_round_trips_through_the_database(db: Engine, vault: Vault) -> None:
    with write_session(db) as session:
        person = seal_person(vault, birth_date=BIRTH, **PERSONAL)  # type: ignore[arg-type]
        session.add(person)
        session.commit()
        person_id = person.id
    with Session(db) as session:
        stored = session.get(Person, person_id)
        assert stored is not None
        assert open_person(vault, stored) == PERSONAL
        assert stored.match_key == vault.match_key("nguyen thi anh", BIRTH)
    assert set(PERSONAL) == set(PERSON_FIELDS)


def test_ciphertext_holds_no_plaintext(db: Engine, vault: Vault) -> None:
    with write_session(db) as session:
        session.add(seal_person(vault, birth_date=BIRTH, **PERSONAL))  # type: ignore[arg-type]
        session.commit()
    with Session(db) as session:
        row = session.execute(select(*(getattr(Person, f) for f in PERSON_FIELDS))).one()
    stored = b"".join(bytes(value) for value in row)
    fragments = [*PERSONAL["aliases"], *(v for k, v in PERSONAL.items() if k != "aliases")]
    for fragment in fragments:
        assert isinstance(fragment, str)
        for form in ("NFC", "NFD"):
            assert unicodedata.normalize(form, fragment).encode() not in stored
        assert normalise_name(fragment).encode() not in stored
    for word in ("Nguyen", "Anh", "001198012345", "912", "Thanh"):
        assert word.encode() not in stored


def test_the_same_value_encrypts_differently_each_time(vault: Vault) -> None:
    assert vault.encrypt("Nguyễn Thị Ánh") != vault.encrypt("Nguyễn Thị Ánh")


def test_absent_fields_stay_absent(vault: Vault) -> None:
    person = seal_person(vault, full_name="Trần Văn Bình", birth_date=BIRTH)
    for field in PERSON_FIELDS[1:]:
        assert getattr(person, field) is None
    assert open_person(vault, person) == {
        "full_name": "Trần Văn Bình",
        "aliases": [],
        "id_number": None,
        "address": None,
        "phone": None,
        "health_notes": None,
    }
    assert vault.encrypt(None) is None
    assert vault.decrypt(None) is None


def test_an_empty_alias_list_and_empty_strings_round_trip(vault: Vault) -> None:
    person = seal_person(vault, full_name="Trần Văn Bình", birth_date=BIRTH, aliases=[], phone="")
    opened = open_person(vault, person)
    assert opened["aliases"] == []
    assert opened["phone"] == ""


def test_a_wrong_key_cannot_decrypt_and_the_error_names_no_value(vault: Vault) -> None:
    person = seal_person(vault, birth_date=BIRTH, **PERSONAL)  # type: ignore[arg-type]
    other = Vault(Fernet.generate_key())
    with pytest.raises(VaultError) as raised:
        open_person(other, person)
    message = str(raised.value)
    assert "decrypt" in message
    assert "Nguy" not in message
    assert "nguyen" not in message
    assert person.full_name.decode() not in message
    # InvalidToken is replaced, not chained, so no traceback carries the token
    assert raised.value.__cause__ is None
    assert raised.value.__suppress_context__


def test_altered_ciphertext_is_refused(vault: Vault) -> None:
    token = bytearray(vault.encrypt("Nguyễn Thị Ánh"))
    token[20] = ord("A") if token[20] != ord("A") else ord("B")
    with pytest.raises(VaultError):
        vault.decrypt(bytes(token))


def test_key_rotation_first_key_encrypts_every_key_decrypts() -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    old = Vault(old_key)
    rotated = Vault(keys=[new_key, old_key])
    old_token = old.encrypt("Phạm Thị Hương")
    assert rotated.decrypt(old_token) == "Phạm Thị Hương"
    new_token = rotated.encrypt("Phạm Thị Hương")
    assert Vault(new_key).decrypt(new_token) == "Phạm Thị Hương"
    with pytest.raises(VaultError):
        old.decrypt(new_token)
    assert rotated.match_keys("Phạm Thị Hương", BIRTH) == [
        Vault(new_key).match_key("Phạm Thị Hương", BIRTH),
        old.match_key("Phạm Thị Hương", BIRTH),
    ]
    assert rotated.match_key("Phạm Thị Hương", BIRTH) == Vault(new_key).match_key(
        "pham thi huong", BIRTH
    )


@pytest.mark.parametrize(
    "arguments",
    [
        {},
        {"key": b"not a key"},
        {"keys": []},
        {"key": Fernet.generate_key(), "keys": [Fernet.generate_key()]},
    ],
)
def test_a_bad_key_set_is_refused_without_echoing_it(arguments: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="key") as raised:
        Vault(**arguments)  # type: ignore[arg-type]
    assert "not a key" not in str(raised.value)


@pytest.mark.parametrize("name", ["", "   ", "\u0301"])
def test_a_person_needs_a_full_name(vault: Vault, name: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        seal_person(vault, full_name=name, birth_date=BIRTH)
    assert raised.value.field == "full_name"


def test_aliases_must_be_a_list_of_names(vault: Vault) -> None:
    with pytest.raises(InvalidInput) as raised:
        seal_person(vault, full_name="Lê Văn Tám", birth_date=BIRTH, aliases="Tám")
    assert raised.value.field == "aliases"
    assert "Tám" not in raised.value.detail


def test_nothing_personal_is_logged(vault: Vault, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    person = seal_person(vault, birth_date=BIRTH, **PERSONAL)  # type: ignore[arg-type]
    open_person(vault, person)
    with pytest.raises(VaultError):
        open_person(Vault(Fernet.generate_key()), person)
    assert "Nguy" not in caplog.text
    assert "001198012345" not in caplog.text


def test_purposes_are_the_documented_codes() -> None:
    assert (
        frozenset(
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
        == PURPOSES
    )


def test_default_vault_uses_the_configured_key(monkeypatch: pytest.MonkeyPatch) -> None:
    key = Fernet.generate_key()
    monkeypatch.setenv("VONGTAY_VAULT_KEY", key.decode())
    get_settings.cache_clear()
    vault_module.default_vault.cache_clear()
    try:
        assert default_vault() is default_vault()
        token = default_vault().encrypt("Vũ Thị Mai")
        assert Vault(key).decrypt(token) == "Vũ Thị Mai"
    finally:
        get_settings.cache_clear()
        vault_module.default_vault.cache_clear()
