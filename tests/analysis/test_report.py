"""`python3 -m analysis report`: one folder with index.md and index.html that link (or embed) every
table and figure it wrote, each of which exists; on a partial sweep the report still appears, with the
incomplete and unreadable runs listed and skipped."""
import os
import re

import h5py

from conftest import analysis, check_figure_files


def produced(out):
    files = []
    for folder, _, names in os.walk(out):
        files += [os.path.relpath(os.path.join(folder, n), out).replace(os.sep, "/") for n in names]
    return sorted(f for f in files if f not in ("index.md", "index.html"))


def links(out):
    with open(os.path.join(out, "index.md"), encoding="utf-8") as handle:
        md = handle.read()
    with open(os.path.join(out, "index.html"), encoding="utf-8") as handle:
        page = handle.read()
    md_links = set(re.findall(r"\]\(([^)\s]+)\)", md))
    html_links = set(re.findall(r"(?:href|src)='([^']+)'", page))
    return md, page, md_links, html_links


def check_pages(out):
    files = produced(out)
    md, page, md_links, html_links = links(out)
    for target in md_links | html_links:
        assert os.path.exists(os.path.join(out, target)), f"a link to a missing file: {target}"
    for name in files:
        assert name in md_links, f"index.md does not link {name}"
        assert name in html_links, f"index.html does not link {name}"
    assert page.lstrip().startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    for png in (f for f in files if f.endswith(".png")):
        assert f"src='{png}'" in page and f"![" in md and f"]({png})" in md, png   # embedded, not only linked
    return files, md, page


def test_report_of_a_finished_sweep(sweeps, tmp_path):
    index = sweeps.index("curvature")
    run = analysis("report", index, "--out", tmp_path)
    assert "index.md" in run.stdout
    files, md, page = check_pages(tmp_path)
    for table in ("runs", "alignment", "alignment-runs"):
        assert f"tables/{table}.csv" in files and f"tables/{table}.md" in files
    figures = [f for f in files if f.startswith("figures/")]
    with h5py.File(index, "r") as handle:
        first = min(handle["runs"], key=lambda r: handle["runs"][r].attrs["number"])
        software = handle["runs"][first].attrs["software"].decode()
    for name in ("cv-heatmap", "correlation", "power-law", "per-sample", "suppression", "spectrum", "trace"):
        for fmt in ("png", "pdf"):
            assert f"figures/{first}/{name}.{fmt}" in figures, (name, figures)
    assert "figures/sweep/trace.png" in figures
    with h5py.File(index, "r") as handle:
        ids = list(handle["runs"])
    check_figure_files([os.path.join(tmp_path, "figures/sweep", f"trace.{fmt}") for fmt in ("png", "pdf")],
                       run_ids=ids, step="3, 6, 12", archive=index)
    check_figure_files([os.path.join(tmp_path, f) for f in figures if f.startswith(f"figures/{first}/")],
                       run_ids=None, software=software)
    assert "Study 1: noise-curvature alignment" in md and "Study 1: noise-curvature alignment" in page
    assert "HessCov report: analysis tests" in md


def test_report_of_a_partial_sweep_lists_and_skips_what_is_incomplete(sweeps, tmp_path):
    index = sweeps.index("partial")
    with h5py.File(index, "r") as handle:
        rows = handle["summary"][()]
        views = [r["run_id"].decode() for r in rows if r["archive"] == b"view"]
        merged = [r["run_id"].decode() for r in rows if r["archive"] == b"merged"]
        reasons = handle.attrs["unreadable_reasons"].decode()
    assert views and merged, "the SIGUSR1-stopped sweep left no view or no finished run"
    assert "0123456789abcdef" in reasons
    run = analysis("report", index, "--only", "cv-heatmap", "--out", tmp_path)
    files, md, page = check_pages(tmp_path)
    for view in views:
        assert view in md and "interrupted" in md
        assert not any(f.startswith(f"figures/{view}") for f in files), "figures of an incomplete run"
    assert reasons.split("\n")[0] in md                     # the index's own reason for the unreadable file
    assert "fedcba9876543210.partial" in md                 # a run folder without a run file
    assert f"figures/{merged[0]}/cv-heatmap.png" in files
    assert "left out:" in md
    # tables print the same listing
    out = analysis("tables", index)
    assert "interrupted" in out.stdout and "unreadable" in out.stdout
    assert "2 runs in 1 configurations" in out.stdout
