"""Claims on the web page: readiness and denial view in a real browser, errors, the upload cap, the run history."""

from __future__ import annotations

import re
import sqlite3
import warnings
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CLAIMS = REPO / "samples" / "claims.csv"
REMIT = REPO / "samples" / "remit.835"
CLAIMS_837 = REPO / "samples" / "claims_837i.x12"
CHARTS = ("state", "participant", "service", "month")
WRONG_REMIT = "claims_837i.x12, row 2: this is an 837 claim file, not an 835 remittance"


@pytest.fixture()
def open_claims(open_page):
    """The claims page, opened from the home page's link (errors and off-server requests fail the test)."""

    def _open(base: str, javascript: bool = True):
        pg = open_page(base, javascript)
        pg.click("#claims-link a")
        return pg

    return _open


def _submit(pg, claims: Path, remits: list[Path] = ()):
    """Choose the files and send the form; the response to the POST."""
    pg.set_input_files("#claims", str(claims))
    if remits:
        pg.set_input_files("#remittances", [str(p) for p in remits])
    with pg.expect_response(lambda r: r.request.method == "POST") as posted:
        pg.click("#submit")
    pg.wait_for_load_state()
    return posted.value


def test_claims_and_remittance_show_readiness_and_denial_charts(open_claims, server, tmp_path):
    import openpyxl

    pg = open_claims(server.url)
    assert pg.inner_text("h1") == "Audit claims and denials"
    assert _submit(pg, CLAIMS, [REMIT]).status == 303
    assert re.fullmatch(re.escape(server.url) + r"/claims/[\w-]+", pg.url)
    assert pg.inner_text("h1") == "Claims: claims.csv"
    assert pg.inner_text("#readiness-totals [data-metric=claims]") == "184"

    readiness = pg.frame_locator("#readiness-view")
    assert readiness.locator("#summary [data-metric=claims]").first.inner_text() == "184"
    # The report names the uploaded file, not the server's private upload folder.
    assert "claims.csv" in readiness.locator("#run-record").inner_text()
    assert "cdm-audit-web" not in readiness.locator("body").inner_text()

    denials = pg.frame_locator("#denials-view")
    for key in CHARTS:
        assert denials.locator(f"figure.chart-box[data-chart={key}] svg").count() == 1, key
    genzeon = denials.locator("li.pattern[data-pattern=participant_category]")
    assert "Genzeon" in genzeon.inner_text()
    assert "Genzeon" in pg.inner_text("#denial-patterns")
    pg.locator("#denials").screenshot(path=str(tmp_path / "denials.png"))

    with pg.expect_download() as download:
        pg.click("#appeal-zip")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "appeal-drafts.zip" and zipfile.is_zipfile(saved)
    assert any(n.endswith(".docx") for n in zipfile.ZipFile(saved).namelist())

    with pg.expect_download() as download:
        pg.click("#denial-files [data-file='denials.xlsx']")
    book = tmp_path / download.value.suggested_filename
    download.value.save_as(book)
    assert openpyxl.load_workbook(book, read_only=True).sheetnames

    pg.click("text=Past audits")
    assert pg.locator("#claims-runs-table tbody tr").count() >= 1
    recorded = pg.locator("#claims-history-table tbody tr").first.inner_text()
    assert "remit.835" in recorded and "Genzeon" in recorded


def test_claims_only_shows_readiness_without_denials(open_claims, server):
    pg = open_claims(server.url)
    assert _submit(pg, CLAIMS).status == 303
    assert pg.is_visible("#readiness-view")
    assert pg.locator("#denials").count() == 0
    assert pg.locator("#readiness-files [data-file='claims-report.xlsx']").count() == 1


def test_an_837_as_remittance_is_one_clear_error(open_claims, server):
    pg = open_claims(server.url)
    response = _submit(pg, CLAIMS, [CLAIMS_837])
    assert response.status == 400
    assert pg.inner_text("h1") == "The file could not be audited"
    assert pg.inner_text("#error-message") == WRONG_REMIT
    assert "Traceback" not in pg.content()


def test_an_upload_over_the_cap_is_refused_naming_the_cap(open_claims, small_server, tmp_path):
    big = tmp_path / "big.csv"
    big.write_bytes(CLAIMS.read_bytes().splitlines(keepends=True)[0] + CLAIMS.read_bytes() * 50)

    pg = open_claims(small_server.url)
    pg.set_input_files("#claims", str(big))
    pg.click("#submit")
    assert "larger than the 1 MB upload limit" in pg.inner_text("#form-error")
    assert pg.url == small_server.url + "/claims"

    # Without script the form posts natively and the server refuses it past the cap.
    plain = open_claims(small_server.url, javascript=False)
    assert _submit(plain, big).status == 413
    assert plain.inner_text("h1") == "Upload too large"
    assert plain.inner_text("#error-message").startswith("big.csv: the upload is larger than the 1 MB limit")


# ---- through starlette's TestClient (no browser) ----------------------------------------------------


@pytest.fixture()
def client(tmp_path, monkeypatch):
    """A TestClient of the app (history in tmp_path) and the claims form's CSRF token."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
        from starlette.testclient import TestClient

    from auditor.web import WebSettings, create_app

    monkeypatch.setenv("CDM_AUDIT_HOME", str(tmp_path))
    with TestClient(create_app(WebSettings()), base_url="http://127.0.0.1") as c:
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/claims").text)
        assert token
        yield c, token.group(1)


def _post(client, *files: tuple[str, Path], csrf: bool = True):
    """POST /claims with these (field, path) files, with the form's CSRF token unless told not to."""
    client, token = client
    data = {"csrf_token": token} if csrf else {}
    parts = [(field, (path.name, path.read_bytes())) for field, path in files]
    return client.post("/claims", data=data, files=parts, follow_redirects=False)


def test_api_claims_run_files_and_history(client, tmp_path):
    r = _post(client, ("claims", CLAIMS), ("remittances", REMIT))
    assert r.status_code == 303
    client = client[0]
    page = client.get(r.headers["location"])
    assert "frame-src 'self'" in page.headers["content-security-policy"]
    base = r.headers["location"]
    view = client.get(base + "/view/denials.html")
    assert view.status_code == 200 and "frame-ancestors 'self'" in view.headers["content-security-policy"]
    assert view.text.count('class="chart-box"') == 4
    assert client.get(base + "/files/denials.json").json()["totals"]["denied_claims"] > 0
    assert client.get(base + "/view/appeals/appeal-drafts.zip").headers["content-type"] == "application/zip"
    for bad in ("/files/..%2Fclaims.csv", "/files/view.html", "/view/appeals/nothing.docx", "/view/x.html"):
        assert client.get(base + bad).status_code == 404, bad

    conn = sqlite3.connect(tmp_path / "history.sqlite")
    rows = conn.execute("SELECT claims, denied, inputs_json FROM claims_runs").fetchall()
    assert len(rows) == 1 and rows[0][0] == 184 and rows[0][1] > 0
    assert '"remit.835"' in rows[0][2] and '"sha256"' in rows[0][2]
    # Claims runs stay out of the chargemaster runs, whose last run is the next audit's baseline.
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 0


def test_api_refusals_are_one_line(client):
    wrong = _post(client, ("claims", CLAIMS), ("remittances", CLAIMS_837))
    assert wrong.status_code == 400 and WRONG_REMIT in wrong.text and "Traceback" not in wrong.text
    none = _post(client, ("remittances", REMIT))
    assert none.status_code == 400 and "choose at least one claims file" in none.text
    pdf = client[0].post(
        "/claims",
        data={"csrf_token": client[1]},
        files=[("claims", ("claims.pdf", b"%PDF-1.4"))],
        follow_redirects=False,
    )
    assert pdf.status_code == 415
    assert _post(client, ("claims", CLAIMS), csrf=False).status_code == 403
