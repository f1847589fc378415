#!/usr/bin/env python3
"""Generate ``benefits_rules/data/provinces.yaml`` from maintained PyPI packages.

Why this script exists: Viet Nam went from 63 to 34 provinces on 2025-07-01. The law
engine must know which province slugs are valid on which date, but it may not import the
province packages at run time (``benefits_rules`` is pure). So the two lists, their
validity and the old-to-new mapping are written once into a data file by this script,
and nobody types them by hand.

Sources:

* ``vietnam-provinces``: the 34 provinces in force from 2025-07-01 (names, codenames).
* ``vietnamadminunits``: the 63 provinces in force until 2025-06-30 and the mapping of
  each of them to its 2025 province (``converter_2025.DICT_PROVINCE``).

The script installs nothing. Install the pinned versions first::

    .venv/bin/pip install -r scripts/requirements-generate.txt
    .venv/bin/python scripts/generate_provinces.py            # rewrite the file
    .venv/bin/python scripts/generate_provinces.py --check    # exit 1 if it is stale

The output is deterministic (sorted by slug, no timestamps), so a test can rerun the
script and compare its output with the committed file byte for byte.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import sys
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "benefits_rules" / "data" / "provinces.yaml"
SCRIPT_NAME = "scripts/generate_provinces.py"

#: Last day of the 63-province map, and first day of the 34-province map.
LAST_DAY_OF_63 = date(2025, 6, 30)
FIRST_DAY_OF_34 = date(2025, 7, 1)
EXPECTED_OLD = 63
EXPECTED_NEW = 34

#: The demo entry, valid at every date. Not a real province.
SAMPLE_SLUG = "sample"
SAMPLE_NAME = "Tỉnh mẫu (dữ liệu minh họa)"

#: Where the packages disagree with the law brief, the brief wins, and the one place it
#: does is listed here (keyed by ``vietnamadminunits``'s legacy ``provinceKey``).
#: Thừa Thiên Huế became "Thành phố Huế" on 2025-01-01, so ``vietnamadminunits`` already
#: calls the old unit "Thành phố Huế" (key ``thanhphohue``) and it would get the slug
#: ``hue``, the same as the 2025 city. The brief wants the pre-reform unit kept apart as
#: ``thua-thien-hue`` (valid until 2025-06-30) and ``hue`` valid from 2025-07-01.
LEGACY_OVERRIDES: Mapping[str, tuple[str, str]] = {
    "thanhphohue": ("thua-thien-hue", "Tỉnh Thừa Thiên Huế"),
}

SLUG_RE = re.compile(r"^[a-z]+(-[a-z]+)*$")
_PREFIXES = ("tỉnh ", "thành phố ", "tp. ", "tp ")


class GenerationError(RuntimeError):
    """The packages' data do not give the lists the brief describes."""


@dataclass(frozen=True)
class Entry:
    """One line of the registry, as written to YAML."""

    slug: str
    name: str
    valid_from: date | None
    valid_to: date | None
    merged_into: str | None = None

    def in_force_on(self, day: date) -> bool:
        """Same rule as ``benefits_rules.provinces.Province.in_force_on``."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


def strip_prefix(name: str) -> str:
    """Drop a leading "Tỉnh"/"Thành phố"/"TP." so only the short name is left."""
    stripped = name.strip()
    lowered = stripped.lower()
    for prefix in _PREFIXES:
        if lowered.startswith(prefix):
            return stripped[len(prefix) :].strip()
    return stripped


def slugify(name: str) -> str:
    """Official short name without diacritics, lower case, hyphenated (đ becomes d)."""
    short = strip_prefix(name).replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", short)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    slug = re.sub(r"[^a-z]+", "-", ascii_only.lower()).strip("-")
    if not SLUG_RE.match(slug):
        raise GenerationError(f"cannot make a slug from {name!r} (got {slug!r})")
    return slug


def _import_packages() -> tuple[Any, Any, Any]:
    """Import the two source packages, or exit with a message saying how to get them."""
    missing: list[str] = []
    try:
        import vietnam_provinces
    except ModuleNotFoundError:
        missing.append("vietnam-provinces")
    try:
        from vietnamadminunits.converter import converter_2025  # type: ignore[import-untyped]
        from vietnamadminunits.database import get_data  # type: ignore[import-untyped]
    except ModuleNotFoundError:
        missing.append("vietnamadminunits")
    if missing:
        sys.stderr.write(
            f"error: {SCRIPT_NAME} needs the package(s) {', '.join(missing)}, "
            f"which are not installed for {sys.executable}.\n"
            "Install the pinned versions with:\n"
            f"    {sys.executable} -m pip install -r scripts/requirements-generate.txt\n"
        )
        raise SystemExit(2)
    return vietnam_provinces, converter_2025, get_data


def _unique(rows: Iterable[Mapping[str, Any]], key: str) -> dict[str, Mapping[str, Any]]:
    """Rows of a per-ward table reduced to one row per province key."""
    out: dict[str, Mapping[str, Any]] = {}
    for row in rows:
        out.setdefault(str(row[key]), row)
    return out


def build_entries() -> tuple[list[Entry], dict[str, str]]:
    """Read both packages and return (entries sorted by slug, package versions)."""
    vietnam_provinces, converter_2025, get_data = _import_packages()
    versions = {
        name: importlib.metadata.version(name)
        for name in ("vietnam-provinces", "vietnamadminunits")
    }

    # --- the 34 from vietnam-provinces ------------------------------------------------
    new: dict[str, str] = {}  # slug -> full name
    tinh = vietnam_provinces.VietNamDivisionType.TINH
    for province in vietnam_provinces.Province.iter_all():
        slug = slugify(province.name)
        codename_slug = province.codename.replace("_", "-")
        if slug != codename_slug:
            raise GenerationError(
                f"vietnam-provinces: slug {slug!r} from name {province.name!r} differs "
                f"from its codename {province.codename!r}"
            )
        name = province.name
        if province.division_type == tinh and strip_prefix(name) == name:
            name = f"Tỉnh {name}"
        if slug in new:
            raise GenerationError(f"vietnam-provinces: duplicate slug {slug!r}")
        new[slug] = name

    # --- the 34 according to vietnamadminunits, to map its keys to our slugs ----------
    new_rows = _unique(get_data(fields=["province", "provinceKey"]), "provinceKey")
    new_key_to_slug = {key: slugify(str(row["province"])) for key, row in new_rows.items()}
    if set(new_key_to_slug.values()) != set(new):
        only_vp = sorted(set(new) - set(new_key_to_slug.values()))
        only_vau = sorted(set(new_key_to_slug.values()) - set(new))
        raise GenerationError(
            "the packages disagree on the 34 provinces: only in vietnam-provinces "
            f"{only_vp}, only in vietnamadminunits {only_vau}"
        )

    # --- the 63 and their 2025 successor from vietnamadminunits -----------------------
    old_rows = _unique(
        get_data(fields=["province", "provinceKey"], table="admin_units_legacy"), "provinceKey"
    )
    old_key_to_new_key: dict[str, str] = {}
    for new_key, old_keys in converter_2025.DICT_PROVINCE.items():
        for old_key in old_keys:
            if old_key in old_key_to_new_key:
                raise GenerationError(f"vietnamadminunits maps {old_key!r} twice")
            old_key_to_new_key[old_key] = new_key
    if set(old_key_to_new_key) != set(old_rows):
        raise GenerationError(
            "vietnamadminunits: the 2025 mapping does not cover exactly the legacy list: "
            f"{sorted(set(old_rows) ^ set(old_key_to_new_key))}"
        )
    unused = sorted(set(LEGACY_OVERRIDES) - set(old_rows))
    if unused:
        raise GenerationError(f"LEGACY_OVERRIDES names keys the package lacks: {unused}")

    old: dict[str, tuple[str, str]] = {}  # slug -> (full name, successor slug)
    for key, row in old_rows.items():
        slug, name = LEGACY_OVERRIDES.get(key, (slugify(str(row["province"])), row["province"]))
        successor = new_key_to_slug.get(old_key_to_new_key[key])
        if successor is None:
            raise GenerationError(f"vietnamadminunits maps {key!r} to an unknown province")
        if slug in old:
            raise GenerationError(f"vietnamadminunits: duplicate legacy slug {slug!r}")
        old[slug] = (str(name), successor)

    # --- merge into one registry ------------------------------------------------------
    entries: list[Entry] = []
    for slug in sorted(set(old) | set(new)):
        if slug in old and slug in new:
            if old[slug][1] != slug:
                raise GenerationError(
                    f"{slug!r} continues in 2025 but the mapping sends it to {old[slug][1]!r}"
                )
            entries.append(Entry(slug, new[slug], None, None))
        elif slug in old:
            name, successor = old[slug]
            entries.append(Entry(slug, name, None, LAST_DAY_OF_63, successor))
        else:
            entries.append(Entry(slug, new[slug], FIRST_DAY_OF_34, None))
    if SAMPLE_SLUG in old or SAMPLE_SLUG in new:
        raise GenerationError(f"a real province has the demo slug {SAMPLE_SLUG!r}")
    entries.append(Entry(SAMPLE_SLUG, SAMPLE_NAME, None, None))
    entries.sort(key=lambda e: e.slug)

    _check_counts(entries)
    return entries, versions


def _check_counts(entries: list[Entry]) -> None:
    """Fail loudly unless exactly 63 real slugs on 2025-06-30 and 34 on 2025-07-01."""
    real = [e for e in entries if e.slug != SAMPLE_SLUG]
    for day, expected in ((LAST_DAY_OF_63, EXPECTED_OLD), (FIRST_DAY_OF_34, EXPECTED_NEW)):
        got = sum(e.in_force_on(day) for e in real)
        if got != expected:
            raise GenerationError(f"{got} provinces in force on {day}, expected {expected}")
    for e in real:
        if not SLUG_RE.match(e.slug):
            raise GenerationError(f"bad slug {e.slug!r}")


def _yaml_str(value: str) -> str:
    """A double-quoted YAML scalar (JSON escaping is valid YAML)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _yaml_date(value: date | None) -> str:
    return "null" if value is None else value.isoformat()


def render(entries: list[Entry], versions: Mapping[str, str]) -> str:
    """The YAML text, written by hand so that the layout never depends on a dumper."""
    sources = ", ".join(f"{name}=={version}" for name, version in sorted(versions.items()))
    lines = [
        "# GENERATED FILE - DO NOT EDIT BY HAND.",
        f"# Generated by {SCRIPT_NAME} from the PyPI packages {sources}.",
        "# To change it, change the script or the pins in scripts/requirements-generate.txt",
        "# and rerun the script.",
        "#",
        f"# Provinces of Viet Nam: the {EXPECTED_OLD} in force until {LAST_DAY_OF_63} and the "
        f"{EXPECTED_NEW} in force from {FIRST_DAY_OF_34}.",
        "# valid_from/valid_to are inclusive; null means no bound. merged_into names the",
        f"# {FIRST_DAY_OF_34.year} province that took over an abolished one. "
        f'"{SAMPLE_SLUG}" is a demo entry.',
        "provinces:",
    ]
    for e in entries:
        lines.append(f"  - slug: {e.slug}")
        lines.append(f"    name: {_yaml_str(e.name)}")
        lines.append(f"    valid_from: {_yaml_date(e.valid_from)}")
        lines.append(f"    valid_to: {_yaml_date(e.valid_to)}")
        if e.merged_into is not None:
            lines.append(f"    merged_into: {e.merged_into}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with ``--check`` compare) the registry file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="file to write or check"
    )
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if the file differs"
    )
    args = parser.parse_args(argv)
    try:
        entries, versions = build_entries()
    except GenerationError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    text = render(entries, versions)
    output: Path = args.output
    if args.check:
        current = output.read_bytes() if output.exists() else b""
        if current != text.encode("utf-8"):
            sys.stderr.write(f"{output} is stale: rerun {SCRIPT_NAME}\n")
            return 1
        print(f"{output} is up to date")
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(text.encode("utf-8"))
    in_old = sum(e.in_force_on(LAST_DAY_OF_63) for e in entries if e.slug != SAMPLE_SLUG)
    in_new = sum(e.in_force_on(FIRST_DAY_OF_34) for e in entries if e.slug != SAMPLE_SLUG)
    print(
        f"wrote {output}: {len(entries)} entries, {in_old} in force on {LAST_DAY_OF_63}, "
        f"{in_new} on {FIRST_DAY_OF_34} (plus {SAMPLE_SLUG!r})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
