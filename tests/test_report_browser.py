"""The header's report buttons in headless Chromium: the page's language reaches the document, and the Word
report downloads as PDF (LibreOffice headless), named after the place and quarter it holds."""

import re
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from tests.conftest import serving, wait_for_file

pytestmark = pytest.mark.skipif(not (shutil.which("soffice") and shutil.which("pdftotext")),
                                reason="needs LibreOffice and poppler-utils: `make system`")


@pytest.fixture
def served_in_a_process(tiny_warehouse, dash_duo_mp):
    """The app in its own process (the report starts a kaleido browser and LibreOffice there)."""
    with socket.socket() as sock:  # a free port: other servers may hold the usual ones
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with serving(dash_duo_mp, tiny_warehouse, port=port):
        yield dash_duo_mp


def _wait_for_file(folder: Path, suffix: str, timeout: float = 90) -> Path:
    return wait_for_file(folder, suffix, timeout)


def test_pdf_button_in_english(served_in_a_process):
    duo = served_in_a_process
    duo.wait_for_page(f"{duo.server_url}/county/622926?as_of=2019Q4&lang=en")
    duo.wait_for_element("#kpi-people-actual", timeout=20)
    button = duo.driver.find_element("css selector", "button[id*='\"type\":\"report\"'][id*='\"fmt\":\"pdf\"']")
    assert button.text == "Report (PDF)"
    button.click()
    path = _wait_for_file(Path(duo.download_path), ".pdf")
    assert re.fullmatch(r"622926_.+_2019Q4_progress_report\.pdf", path.name), path.name
    assert path.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Overall progress" in text and "31 Dec 2019" in text and "Page 1 of" in text
    assert "总体进展" not in text and "数据截止" not in text
    assert duo.get_logs() == []
