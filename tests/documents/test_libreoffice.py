"""The decision renders in LibreOffice (design §6): converted headless to PDF, text checked.

One test, one conversion: it uses no database, so it runs once per suite (never per backend),
in about 3–10 s. LibreOffice is required: the project's test command installs it; a machine
without it fails here, with the command to run.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from documents import render_decision
from documents.example import example_view
from documents.render import SAMPLE_NOTICE

INSTALL_HINT = (
    "LibreOffice is not on PATH (soffice/libreoffice): run "
    "`apt-get install -y libreoffice-writer-nogui` (and poppler-utils for pdftotext)"
)


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        pytest.fail(INSTALL_HINT)
    return found


def test_decision_converts_to_pdf_with_its_vietnamese_text(tmp_path: Path) -> None:
    soffice = _soffice()
    source = tmp_path / "quyet-dinh.docx"
    source.write_bytes(render_decision(example_view()))
    profile = (tmp_path / "lo-profile").as_uri()  # own profile: no clash with another soffice
    result = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    pdf = tmp_path / "quyet-dinh.pdf"
    assert result.returncode == 0, result.stderr
    assert pdf.is_file(), f"no PDF written: {result.stdout} {result.stderr}"
    assert pdf.stat().st_size > 1000
    assert pdf.read_bytes().startswith(b"%PDF")

    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        return  # the PDF exists; its text needs poppler-utils
    text = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode("utf-8")
    flat = " ".join(text.split())
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat
    assert "Độc lập - Tự do - Hạnh phúc" in flat
    assert "QUYẾT ĐỊNH" in flat
    assert "Về việc hỗ trợ đối với nạn nhân bị mua bán" in flat
    assert "Số: 05/QĐ-SYT" in flat
    assert "Mẫu, ngày 05 tháng 01 năm 2026" in flat
    assert SAMPLE_NOTICE in flat
    assert "Mười bốn triệu không trăm tám mươi ba nghìn sáu trăm đồng" in flat
    assert "14.083.600" in flat
    assert "Nơi nhận:" in flat and "Trần Văn Bình" in flat
    assert "Thuốc chữa bệnh thông thường (*)" in flat


def test_missing_libreoffice_fails_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y libreoffice-writer-nogui"):
        _soffice()
