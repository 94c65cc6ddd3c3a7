"""Text from input files written into streamed (constant-memory) sheets stays text, markup-shaped or not."""

from __future__ import annotations

import openpyxl

from auditor.report.workbook import Styles, open_workbook, put


def test_rich_string_shaped_text_is_written_as_text(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = open_workbook(path, {}, rows=0, constant_memory=True)
    ws, styles = wb.add_worksheet("S"), Styles(wb)
    for r, text in enumerate(["<r><t>x</t><b/></r>", "<r>", "=1+1", "plain"]):
        put(ws, r, 0, text, styles)
    wb.close()
    cells = openpyxl.load_workbook(path)["S"]["A"]
    assert [c.value for c in cells] == ["<r><t>x</t><b/></r>", "<r>", "=1+1", "plain"]
    assert cells[2].data_type == "s"  # a formula-like string stays a string
