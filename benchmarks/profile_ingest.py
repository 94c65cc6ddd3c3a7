"""Where does `read_inputs` spend its time? Phase-by-phase timings of the xlsx ingest path.

Usage: python benchmarks/profile_ingest.py [ROWS] [--runs N] [--cprofile] [--what-if]

Re-runs the steps of auditor.ingest.reader.read_file / read_sheet one at a time (same functions, same
order, same inputs) and prints the median of each, next to the bare fastexcel read. Then it times
every canonical output column on its own (`data.select(expr)`), to show which normalisation
expressions cost most. Numbers are medians over --runs; the machine is noisy.

--what-if also times read_inputs with two prototype replacements patched in (this file only; nothing
under auditor/ is changed) and checks that the canonical frame is identical:
  * canonical_by_distinct: evaluate the code / revenue-code / modifier / date normalisation on the
    distinct raw values of those columns, then map back with one left join each (row order kept);
  * repeated_header_prefiltered: run the header-repeat check only on rows whose mapped cells contain
    the header's first word (case-insensitive), instead of upper-casing and regex-cleaning every cell.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_cdm  # noqa: E402
import harness  # noqa: E402


def phases(path: Path) -> list[tuple[str, float]]:
    """One pass through the ingest steps; (phase, seconds) in order."""
    import fastexcel
    import polars as pl

    from auditor.ingest import normalize as nz  # noqa: F401
    from auditor.ingest import reader as rd
    from auditor.ingest.excel import _origins
    from auditor.ingest.header import apply_overrides
    from auditor.ingest.raw import RawSheet
    from auditor.ingest.sniff import sniff

    out = []
    opts = rd.IngestOptions()

    def step(name, fn):
        t = time.perf_counter()
        v = fn()
        out.append((name, time.perf_counter() - t))
        return v

    sniffed = step("sniff (zip scan, DTD check)", lambda: sniff(path, opts.max_bytes))
    step("sha256", lambda: rd.file_sha256(path))
    reader = step("fastexcel open", lambda: fastexcel.read_excel(str(path)))
    offsets = step("origin scan (_xlsx_origins)", lambda: _origins(path, sniffed.kind, reader.sheet_names))
    sheet = step("fastexcel load_sheet", lambda: reader.load_sheet(0, header_row=None, dtypes="string"))
    frame = step("fastexcel to_polars", lambda: sheet.to_polars())
    frame = step("rename c0..cN", lambda: frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)}))
    first_row, first_col = offsets.get(reader.sheet_names[0], (1, 0))
    raw = RawSheet(reader.sheet_names[0], frame, first_row, first_col)
    match = step(
        "header and roles (content profile of a sample)",
        lambda: rd._locate_header(str(path), raw, frame, opts),
    )
    apply_overrides(match, opts.overrides, opts.kind)
    filled = step("filled cells per row (strip+len on every column)", lambda: rd._filled_cells(frame))
    nonblank = filled > 0
    start = match.index + 1

    def slice_filter():
        data = frame.slice(start).with_columns(
            pl.int_range(raw.first_row + start, raw.first_row + frame.height, dtype=pl.Int64).alias("_row")
        )
        return data.filter(nonblank.slice(start))

    data = step("slice + row numbers + filter", slice_filter)
    canon = step(
        "_canonical (projection + normalisation)", lambda: rd._canonical(str(path), raw.name, data, match)
    )
    header_norm = [rd.norm_header(h) for h in match.headers]
    repeated = step("_repeated_header", lambda: rd._repeated_header(data, match, header_norm))
    step("_rule_lines", lambda: rd._rule_lines(data.drop("_row")))

    def classify():
        no_key = pl.all_horizontal([pl.col(f).is_null() for f in rd._KEY_FIELDS])
        c = canon.with_columns(
            pl.when(repeated)
            .then(pl.lit("repeated header row"))
            .when(no_key)
            .then(pl.lit("no key"))
            .otherwise(None)
            .alias("_skip")
        )
        skipped = c.filter(pl.col("_skip").is_not_null())
        audited = c.filter(pl.col("_skip").is_null()).drop("_skip")
        return skipped, audited

    skipped, audited = step("skip classification + 2 filters", classify)
    step(
        "skipped-row list for the report",
        lambda: [{"row": r, "reason": w} for r, w in skipped.select("row", "_skip").iter_rows()],
    )
    step("concat (1 frame)", lambda: pl.concat([audited], how="vertical"))
    return out


def canonical_columns(path: Path, runs: int) -> list[tuple[str, float]]:
    """Median seconds to compute each canonical column alone."""
    import polars as pl

    from auditor.ingest import normalize as nz
    from auditor.ingest import reader as rd
    from auditor.ingest.excel import read_excel

    raw = read_excel(path, "xlsx")[0]
    match = rd._locate_header(str(path), raw, raw.frame, rd.IngestOptions())
    start = match.index + 1
    data = raw.frame.slice(start).with_columns(
        pl.int_range(raw.first_row + start, raw.first_row + raw.frame.height, dtype=pl.Int64).alias("_row")
    )
    col = lambda name: rd._col(match, name)  # noqa: E731
    mods = [f"c{i}" for i in match.mapping.get("modifiers", [])]
    code, glued = nz.code_parts(col("cpt"))
    exprs = {
        "clean_text x1 (charge_code)": nz.clean_text(col("charge_code")),
        "clean_text x1 (description)": nz.clean_text(col("description")),
        "revenue_code (4 regex extracts)": nz.revenue_code(col("revenue_code")),
        "code_parts: code": code,
        "code_parts: glued modifiers": glued,
        "modifiers (extract_all + list ops)": nz.modifiers(mods),
        "money (price)": nz.money(col("price")),
        "iso_date (4 to_date tries + strftime)": nz.iso_date(col("effective_from")),
        "merge_modifiers (split + list unique)": nz.merge_modifiers(nz.modifiers(mods), glued),
    }
    out = []
    for name, e in exprs.items():
        ts = []
        for _ in range(runs):
            t = time.perf_counter()
            data.select(e.alias("x"))
            ts.append(time.perf_counter() - t)
        out.append((name, statistics.median(ts)))
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        rd._canonical(str(path), raw.name, data, match)
        ts.append(time.perf_counter() - t)
    out.append(("_canonical total (all of the above, fused)", statistics.median(ts)))
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        data.select([pl.col(c).str.strip_chars() for c in data.columns if c != "_row"])
        ts.append(time.perf_counter() - t)
    out.append(("reference: strip_chars on all 10 columns", statistics.median(ts)))
    return out


# ------------------------------------------------------------------------------------------------
# What-if prototypes (benchmark-side only; they must produce exactly what reader.py produces)
# ------------------------------------------------------------------------------------------------
def _by_distinct(frame, cols, exprs):
    """Evaluate exprs on the distinct values of cols, then map back with a left join (row order kept)."""

    distinct = frame.select(cols).unique()
    mapped = distinct.with_columns(**exprs)
    joined = frame.select(cols).join(mapped, on=cols, how="left", nulls_equal=True, maintain_order="left")
    assert joined.height == frame.height
    return joined.drop(cols)


def canonical_by_distinct(path, sheet, data, match):
    """reader._canonical, with the costly per-cell normalisation done once per distinct raw value."""
    import polars as pl

    from auditor.ingest import normalize as nz
    from auditor.ingest import reader as rd

    if match.cms_codes:
        return _ORIG["canonical"](path, sheet, data, match)
    none = pl.lit(None, dtype=pl.String)

    def text(name):
        c = rd._col(match, name)
        return nz.clean_text(c) if c else none

    mod_cols = [f"c{i}" for i in match.mapping.get("modifiers", [])]
    price = rd._col(match, "price")
    base = {
        "file": pl.lit(path),
        "sheet": pl.lit(sheet),
        "row": pl.col("_row"),
        **{
            k: text(k)
            for k in (
                "charge_code",
                "description",
                "units",
                "department",
                "status",
                "narrative",
                "ndc",
                "setting",
            )
        },
        "price_raw": nz.clean_text(price) if price else none,
        "price": nz.money(price) if price else pl.lit(None, dtype=pl.Float64),
    }
    parts = [data.select(**base)]
    codes = rd._codes(match)
    rev = rd._col(match, "revenue_code")
    code_cols = [c for c in (rd._col(match, "cpt"), rd._col(match, "hcpcs")) if c]
    code_exprs = {k: v for k, v in codes.items() if k not in ("revenue_code", "revenue_code_raw")}
    if code_cols:
        parts.append(_by_distinct(data, code_cols, code_exprs))
    else:  # codes inferred from descriptions: distinct descriptions
        desc = rd._col(match, "description")
        parts.append(
            _by_distinct(data, [desc], code_exprs)
            if desc
            else data.select("_row").with_columns(**code_exprs).drop("_row")
        )
    if rev:
        parts.append(
            _by_distinct(
                data,
                [rev],
                {"revenue_code_raw": codes["revenue_code_raw"], "revenue_code": codes["revenue_code"]},
            )
        )
    else:
        parts.append(data.select("_row").with_columns(revenue_code_raw=none, revenue_code=none).drop("_row"))
    if mod_cols:
        parts.append(
            _by_distinct(
                data,
                mod_cols,
                {
                    "_mods": nz.modifiers(mod_cols),
                    "modifiers_raw": pl.concat_str(
                        [pl.col(c) for c in mod_cols], separator=" ", ignore_nulls=True
                    ),
                },
            )
        )
    else:
        parts.append(data.select("_row").with_columns(_mods=none, modifiers_raw=none).drop("_row"))
    for name in ("effective_from", "effective_to"):
        c = rd._col(match, name)
        parts.append(
            _by_distinct(data, [c], {name: nz.iso_date(c)})
            if c
            else data.select("_row").with_columns(**{name: none}).drop("_row")
        )
    out = pl.concat(parts, how="horizontal")
    out = out.with_columns(modifiers=nz.merge_modifiers(pl.col("_mods"), pl.col("_glued"))).drop(
        "_glued", "_mods"
    )
    out = out.with_columns(pl.col("modifiers_raw").str.strip_chars().replace("", None))
    return out.select([pl.col(c).cast(rd.SCHEMA[c]) for c in rd.CANONICAL])


def repeated_header_prefiltered(data, match, header_norm):
    """reader._repeated_header, run only on rows that contain a mapped header's first word."""
    import re

    import polars as pl

    cols = [i for cols in match.mapping.values() for i in cols][:4]
    if not cols:
        return _ORIG["repeated"](data, match, header_norm)
    pairs = [(i, header_norm[i].split()[0]) for i in cols if header_norm[i]]
    # An empty header matches blank cells, and 'NUMBER' may come from '#': no literal word to look for.
    if len(pairs) < len(cols) or any(w == "NUMBER" for _, w in pairs):
        return _ORIG["repeated"](data, match, header_norm)
    cand = pl.any_horizontal(
        [pl.col(f"c{i}").str.contains("(?i)" + re.escape(w)).fill_null(False) for i, w in pairs]
    )
    idx = data.with_row_index("_i").filter(cand)
    mask = pl.Series("x", [False] * data.height)
    if idx.height:
        hits = _ORIG["repeated"](idx, match, header_norm)
        mask = mask.scatter(idx.filter(hits)["_i"], True)
    return mask


_ORIG: dict = {}


def what_if(xlsx: Path, csv_path: Path, runs: int) -> None:
    """read_inputs as is vs with the prototypes patched in, each paired against its bare read."""
    import fastexcel
    import polars as pl

    from auditor.ingest import IngestOptions, read_inputs
    from auditor.ingest import reader as rd

    _ORIG.update(canonical=rd._canonical, repeated=rd._repeated_header)

    def patched(on: bool):
        rd._canonical = canonical_by_distinct if on else _ORIG["canonical"]
        rd._repeated_header = repeated_header_prefiltered if on else _ORIG["repeated"]

    rows = []
    for label, path, bare in (
        (
            "xlsx",
            xlsx,
            lambda: (
                fastexcel.read_excel(str(xlsx)).load_sheet(0, header_row=None, dtypes="string").to_polars()
            ),
        ),
        ("csv", csv_path, lambda: pl.read_csv(csv_path, has_header=False, infer_schema=False)),
    ):
        patched(False)
        ref = read_inputs([path], IngestOptions()).frame
        patched(True)
        new = read_inputs([path], IngestOptions()).frame
        same = ref.equals(new)
        for on in (False, True):
            patched(on)
            pr = harness.paired(lambda p=path: read_inputs([p], IngestOptions()), bare, runs)
            rows.append(
                [
                    label,
                    "prototypes" if on else "as is",
                    f"{pr.a_median:.3f}",
                    f"{pr.b_median:.3f}",
                    f"{pr.ratio:.2f}x ({min(pr.ratios):.2f}-{max(pr.ratios):.2f})",
                    "yes" if same else "NO",
                ]
            )
        patched(False)
    print(
        harness.table(
            rows,
            ["input", "read_inputs", "ingest s", "bare s", "ingest/bare paired", "same frame"],
            right={2, 3, 4},
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", type=int, nargs="?", default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cprofile", action="store_true", help="also print the top functions under cProfile")
    ap.add_argument("--what-if", action="store_true", help="time the prototype fixes (see module docstring)")
    args = ap.parse_args()
    xlsx, csv_path = gen_cdm.ensure(args.rows)
    import fastexcel

    from auditor.ingest import IngestOptions, read_inputs

    bare = lambda: fastexcel.read_excel(str(xlsx)).load_sheet(0, header_row=None, dtypes="string").to_polars()  # noqa: E731
    full = lambda: read_inputs([xlsx], IngestOptions())  # noqa: E731
    bare(), full()
    pr = harness.paired(full, bare, args.runs)
    runs = [phases(xlsx) for _ in range(args.runs)]
    names = [n for n, _ in runs[0]]
    med = {n: statistics.median(r[i][1] for r in runs) for i, n in enumerate(names)}
    total = sum(med.values())
    print(
        f"{args.rows:,} rows, {args.runs} runs; read_inputs {pr.a_median:.3f} s vs bare fastexcel "
        f"{pr.b_median:.3f} s (paired ratio {pr.ratio:.2f}x)\n"
    )
    rows = [
        [n, f"{med[n]:.3f}", f"{100 * med[n] / total:.1f}%", f"{med[n] / pr.b_median:.2f}"] for n in names
    ]
    rows.append(["sum of phases", f"{total:.3f}", "100%", f"{total / pr.b_median:.2f}"])
    print(harness.table(rows, ["phase", "median s", "share", "x bare read"]))
    print()
    cols = canonical_columns(xlsx, args.runs)
    print(harness.table([[n, f"{s:.3f}"] for n, s in cols], ["canonical column computed alone", "median s"]))
    if args.cprofile:
        prof = cProfile.Profile()
        prof.enable()
        full()
        prof.disable()
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(25)
        print(buf.getvalue())
    if args.what_if:
        print()
        what_if(xlsx, csv_path, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
