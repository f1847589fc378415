"""Byte-stable .docx packages.

A stored decision is immutable and its hash is kept, so rendering the same view twice must give
the same bytes. python-docx writes each zip entry with the current time and leaves the entry
order to the package walk; `stable_zip` rewrites the archive with one fixed timestamp, fixed
attributes and a fixed order.
"""

from __future__ import annotations

import io
import zipfile

__all__ = ["FIXED_ZIP_TIME", "stable_zip"]

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
_FIRST = ("[Content_Types].xml", "_rels/.rels")


def _order(name: str) -> tuple[int, str]:
    return (_FIRST.index(name), "") if name in _FIRST else (len(_FIRST), name)


def stable_zip(data: bytes) -> bytes:
    """Re-pack a zip archive so that equal contents give equal bytes.

    Why: python-docx stamps entries with the time of saving, so two renderings of one view
    would differ; the content types entry stays first, as Office writers put it.
    """
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for name in sorted(source.namelist(), key=_order):
            info = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            target.writestr(info, source.read(name))
    return out.getvalue()
