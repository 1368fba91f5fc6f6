"""`python3 -m analysis bench RECORD_OR_DIR ... --out DIR`: figures, tables and a Markdown report of the
benchmark records that `hesscov bench <suite> ... --record PATH` writes (docs/performance.md).

    DIR/roofline.png, .pdf    products records: GFLOP/s vs arithmetic intensity under each machine's roofline
    DIR/scaling.png, .pdf     scaling records: time per product vs ranks with the ideal line, and the
                              parallel efficiency vs ranks
    DIR/time-to-k.png, .pdf   eig records: EPSSolve seconds per (solver, nev), stacked products / basis /
                              projected problem / other, with converged/nev
    DIR/io.png, .pdf          io records: write bandwidth vs ranks per dataset
    DIR/report.md             the records (machine, software, command), one table per suite, the figures
    DIR/tables/<name>.csv, .md   records, products, scaling, eig, io

A record is one JSON object (format `hesscov-bench-1`) in the `.json` twin of the `.h5` the
benchmark wrote; an input may be either file (a `.h5` is read through its twin, or through h5py
when the twin is absent), the `records.h5` of `hesscov bench collect DIR` (the records it lists), or
a folder (every `*.json` record under it; other JSON files there are noted and skipped). A figure
or table whose suite has no record is skipped with a note. A file that is not a record, or lacks a
key a table or figure needs, is an error naming the file and the key.
Every figure carries its provenance (the records' software, hostnames, files and commands) in a
caption and in the file's metadata, as the archive figures do (analysis/figures.py).
"""
import datetime
import math
import os
import textwrap

import numpy as np

from . import __version__
from .figures import FigureMetadata, save  # also sets matplotlib to its Agg backend
from .reader import ArchiveError
from .tables import Table
from .bench_records import FIGURES, SUITES, load, num

import matplotlib.pyplot as plt  # noqa: E402




# ----------------------------------------------------------------------------- provenance

class BenchProvenance(FigureMetadata):
    """Where a bench figure's numbers came from: the records' software, hostnames, files and commands.
    The interface of figures.Provenance (caption, png_metadata, pdf_metadata), so figures.save applies."""

    def __init__(self, records, suite):
        self.records = list(records)
        self.suite = suite

    @staticmethod
    def _distinct(values):
        """The distinct values joined by " | " (the PDF keywords separate the fields by "; ")."""
        out = []
        for value in values:
            if value and value not in out:
                out.append(value)
        return " | ".join(out)

    def fields(self):
        return {"Suite": self.suite,
                "Records": ", ".join(r.path for r in self.records),
                "Hesscov version": self._distinct(r.get("software", "") for r in self.records),
                "Hostname": self._distinct(r.get("hostname", "") for r in self.records),
                "Command": self._distinct(r.get("command", "") for r in self.records)}

    def one_line(self):
        f = self.fields()
        return (f"{f['Hesscov version']}; host {f['Hostname']}; suite {f['Suite']}; records {f['Records']}; "
                f"command {f['Command']}")

    def caption(self, width):
        f = self.fields()
        count = len(self.records)
        head = f"{f['Hesscov version']}  |  host {f['Hostname']}  |  {self.suite}: {count} record{'s' if count != 1 else ''}"
        lines = textwrap.wrap(head, width)
        for record in self.records[:3]:
            lines += textwrap.wrap(f"{record.tag}: {record.path}", width, break_on_hyphens=False)
            if record.get("command"):
                lines += textwrap.wrap(f"    {record.get('command')}", width, break_on_hyphens=False,
                                       subsequent_indent="      ")
        if len(self.records) > 3:
            lines.append(f"... and {len(self.records) - 3} more (the files and commands are in the metadata)")
        return "\n".join(lines)



# ----------------------------------------------------------------------------- figures

def _colour(i):
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return cycle[i % len(cycle)]


def _log2(x):
    return np.log2(np.clip(x, 1e-12, None))


def _exp2(x):
    return np.power(2.0, x)


def _ranks_axis(axis, ranks):
    """A log2 axis of rank counts with a tick at each count measured (plain integers)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator
    ranks = sorted({int(r) for r in ranks if r > 0}) or [1]
    axis.set_xscale("function", functions=(_log2, _exp2))
    axis.set_xlim(ranks[0] / 1.4, ranks[-1] * 1.4)
    axis.xaxis.set_major_locator(FixedLocator(ranks))
    axis.xaxis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:.0f}"))
    axis.xaxis.set_minor_locator(NullLocator())
    axis.set_xlabel("MPI ranks")


def _clusters(points, tolerance=0.015):
    """Points [(name, x, y)] grouped where they coincide on a log-log plot: [[names], x, y]."""
    groups = []
    for name, x, y in points:
        for group in groups:
            if abs(math.log10(x / group[1])) < tolerance and abs(math.log10(y / group[2])) < tolerance:
                group[0].append(name)
                break
        else:
            groups.append([[name], x, y])
    return groups


def _place_labels(items, gap, reach=0.45):
    """Positions of labels [(x, y)] beside their points on a log-log plot: [(side, log10 y of the text)],
    side +1 (right of the point) or -1 (left). Each takes the free slot nearest its point (steps of `gap`
    decades up or down, either side); a slot is taken when a label on that side lies within `reach`
    decades in x and `gap` in y."""
    order = sorted(range(len(items)), key=lambda i: -items[i][1])
    placed, out = [], [None] * len(items)
    for i in order:
        lx, ly = math.log10(items[i][0]), math.log10(items[i][1])
        best = None
        for step in range(0, 60):
            for side in (1, -1):
                for height in ((ly,) if step == 0 else (ly - step * gap / 2, ly + step * gap / 2)):
                    free = all(not (s == side and abs(lx - px) < reach and abs(height - py) < gap - 1e-12)
                               for s, px, py in placed)
                    if free:
                        best = (side, height)
                        break
                if best:
                    break
            if best:
                break
        best = best or (1, ly)
        placed.append((best[0], lx, best[1]))
        out[i] = best
    return out


PRODUCT_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">", "p")


def fig_roofline(records, base):
    """Log-log GFLOP/s vs FLOP/byte: min(peak, I x bandwidth) of each record's machine, a point per product
    (marker by product, colour by record, labelled with the row names)."""
    fig, axis = plt.subplots(figsize=(9.6, 6.0))
    notes, points_of, ridges, ys = [], [], [], []
    for record in records:
        points = []
        for row in record.rows:
            x, y = num(row, "intensity"), num(row, "gflops_per_s")
            if math.isfinite(x) and math.isfinite(y) and x > 0 and y > 0:
                points.append((row["name"], x, y))
            else:
                notes.append(f"{record.path}: row {row['name']} has no positive intensity and GFLOP/s, not drawn")
        points_of.append(points)
        peak, bandwidth = num(record.data, "peak_gflops"), num(record.data, "bandwidth_gbs")
        if math.isfinite(peak) and math.isfinite(bandwidth) and peak > 0 and bandwidth > 0:
            ridges.append(peak / bandwidth)
            ys.append(peak)
    xs = [p[1] for points in points_of for p in points] + ridges
    ys += [p[2] for points in points_of for p in points]
    if not xs:
        xs, ys = [1.0], [1.0]
    lo, hi = min(xs) / 4, max(xs) * 4
    markers = {}
    for points in points_of:
        for name, _, _ in points:
            markers.setdefault(name, PRODUCT_MARKERS[len(markers) % len(PRODUCT_MARKERS)])
    labels = []
    for i, (record, points) in enumerate(zip(records, points_of)):
        colour = _colour(i)
        peak, bandwidth = num(record.data, "peak_gflops"), num(record.data, "bandwidth_gbs")
        machine = f"{record.tag} {record.machine()}"
        if math.isfinite(peak) and math.isfinite(bandwidth) and peak > 0 and bandwidth > 0:
            grid = np.geomspace(lo, hi, 400)
            source = record.get("roofline_source", "")
            axis.loglog(grid, np.minimum(peak, grid * bandwidth), "-", color=colour, lw=1.5, alpha=0.8,
                        label=f"{machine}: roofline{' (' + source + ')' if source else ''} "
                              f"{peak:.3g} GFLOP/s, {bandwidth:.3g} GB/s")
        else:
            notes.append(f"{record.path}: no finite peak_gflops and bandwidth_gbs, its roofline is not drawn")
            axis.plot([], [], "o", color=colour, label=f"{machine}: (no roofline recorded)")
        for name, x, y in points:
            axis.loglog([x], [y], markers[name], ms=6, color=colour, markeredgecolor="black",
                        markeredgewidth=0.5, zorder=3)
        labels += [(names, x, y, colour) for names, x, y in _clusters(points)]
    y_lo, y_hi = min(ys) / 3, max(ys) * 2.5
    slots = _place_labels([(x, y) for _, x, y, _ in labels], gap=0.034 * math.log10(y_hi / y_lo))
    for (names, x, y, colour), (side, height) in zip(labels, slots):
        moved = abs(height - math.log10(y)) > 1e-9
        axis.annotate(", ".join(names), (x, y), xytext=(x * 1.12 ** side, 10 ** height), textcoords="data",
                      fontsize=7, color=colour, ha="left" if side > 0 else "right", va="center",
                      arrowprops=dict(arrowstyle="-", color=colour, lw=0.5, shrinkA=0, shrinkB=3) if moved else None)
    axis.set_xlim(lo, hi)
    axis.set_ylim(y_lo, y_hi)
    axis.set_xlabel("arithmetic intensity [FLOP/byte]")
    axis.set_ylabel("GEMM performance [GFLOP/s]")
    axis.grid(True, which="major", color="0.9", lw=0.6)
    first = axis.legend(fontsize=7, loc="upper left", title="machine (roofline min(peak, I × bandwidth))",
                        title_fontsize=7)
    axis.add_artist(first)
    from matplotlib.lines import Line2D
    handles = [Line2D([], [], ls="", marker=m, color="0.6", markeredgecolor="black", markeredgewidth=0.5,
                      label=name) for name, m in markers.items()]
    if handles:
        axis.legend(handles=handles, fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), title="product",
                    title_fontsize=7, ncol=1 + len(handles) // 16)
    title = "Roofline of the products: GFLOP/s vs arithmetic intensity (GEMM FLOPs and bytes)"
    return save(fig, base, BenchProvenance(records, "products"), title), notes


def _by(rows, key):
    """Rows grouped by rows[key], in order of first appearance, each group sorted by ranks."""
    groups = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return {k: sorted(v, key=lambda r: int(r["ranks"])) for k, v in groups.items()}


def ideal_times(rows, mode):
    """The ideal time at each row's ranks from the smallest run: strong t(R0) R0/R, weak t(R0)."""
    first = rows[0]
    t0, r0 = num(first, "best_s"), int(first["ranks"])
    return [t0 * r0 / int(r["ranks"]) if mode == "strong" else t0 for r in rows]


def fig_scaling(records, base):
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 5.0))
    ranks, notes, series = set(), [], 0
    for record in records:
        mode = record.data["mode"]
        for product, rows in _by(record.rows, "product").items():
            colour = _colour(series)
            series += 1
            r = [int(row["ranks"]) for row in rows]
            t = [num(row, "best_s") for row in rows]
            e = [num(row, "efficiency") for row in rows]
            ranks.update(r)
            name = f"{record.tag} {product}, {mode}" + (f", {record.get('model')}" if record.get("model") else "")
            ok = [i for i in range(len(r)) if math.isfinite(t[i]) and t[i] > 0]
            if len(ok) < len(r):
                notes.append(f"{record.path}: {product}: {len(r) - len(ok)} run(s) without a positive best_s")
            left.plot([r[i] for i in ok], [t[i] for i in ok], "o-", color=colour, ms=4.5, label=name)
            ideal = ideal_times([rows[i] for i in ok], mode) if ok else []
            left.plot([r[i] for i in ok], ideal, "--", color=colour, lw=1, alpha=0.8)
            fine = [i for i in range(len(r)) if math.isfinite(e[i])]
            right.plot([r[i] for i in fine], [e[i] for i in fine], "o-", color=colour, ms=4.5, label=name)
    left.plot([], [], "--", color="0.3", lw=1, label="ideal: strong t(r0) r0/R, weak t(r0) (r0: fewest ranks)")
    left.set_yscale("log")
    left.set_ylabel("best time per product [s]")
    left.set_title("time per product vs ranks", fontsize=10)
    left.legend(fontsize=7)
    right.axhline(1.0, ls=":", color="0.4", lw=1, label="ideal (1)")
    top = max([1.0] + [float(np.max(line.get_ydata())) for line in right.lines if len(line.get_ydata())])
    right.set_ylim(0, 1.15 * top)
    right.set_ylabel("parallel efficiency")
    right.set_title("parallel efficiency vs ranks (strong: t(r0) r0/(R t(R)); weak: t(r0)/t(R))", fontsize=10)
    right.legend(fontsize=7)
    for axis in (left, right):
        _ranks_axis(axis, ranks)
        axis.grid(True, which="major", color="0.9", lw=0.6)
    modes = sorted({record.data["mode"] for record in records})
    title = f"{' and '.join(modes).capitalize()} scaling of the products over MPI ranks"
    return save(fig, base, BenchProvenance(records, "scaling"), title), notes


EIG_PARTS = (("products_s", "products", "C0"), ("basis_s", "basis (orthogonalisation, restarts)", "C1"),
             ("projected_s", "projected problem", "C2"))


def eig_split(row):
    """{part: seconds} of one solve: products, basis, projected and other (solve_s minus those, if positive)."""
    parts = {key: num(row, key) for key, _, _ in EIG_PARTS}
    known = sum(v for v in parts.values() if math.isfinite(v))
    solve = num(row, "solve_s")
    parts["other"] = max(0.0, solve - known) if math.isfinite(solve) else float("nan")
    return parts


def fig_time_to_k(records, base):
    bars = [(record, row) for record in records for row in record.rows]
    fig, axis = plt.subplots(figsize=(max(6.8, 1.0 + 0.9 * len(bars)), 5.4))
    x = np.arange(len(bars))
    bottom = np.zeros(len(bars))
    notes = []
    for key, name, colour in EIG_PARTS + (("other", "other (solve minus the three)", "0.7"),):
        heights = []
        for record, row in bars:
            value = eig_split(row)[key]
            if not math.isfinite(value):
                notes.append(f"{record.path}: {row['name']}: {key} is null, drawn as 0")
                value = 0.0
            heights.append(value)
        axis.bar(x, heights, 0.62, bottom=bottom, color=colour, label=name, edgecolor="white", lw=0.5)
        bottom += np.asarray(heights)
    top = bottom.max() if len(bottom) and bottom.max() > 0 else 1.0
    for i, (record, row) in enumerate(bars):
        converged, nev = int(row["converged"]), int(row["nev"])
        axis.text(i, bottom[i] + 0.015 * top, f"{converged}/{nev}", ha="center", va="bottom", fontsize=8,
                  color="black" if converged >= nev else "C3", fontweight="normal" if converged >= nev else "bold")
    several = len({r.number for r, _ in bars}) > 1
    labels = [f"{row['solver']}\nnev {int(row['nev'])}" + (f"\n{record.tag}" if several else "")
              for record, row in bars]
    axis.set_xticks(x)
    axis.set_xticklabels(labels, fontsize=8, rotation=0 if len(bars) <= 8 else 45,
                         ha="center" if len(bars) <= 8 else "right")
    axis.set_ylim(0, top * 1.12)
    axis.set_ylabel("EPSSolve time [s]")
    axis.set_xlabel("solver and eigenpairs wanted (above each bar: converged/nev)")
    axis.legend(fontsize=7)
    sizes = ", ".join(sorted({f"n = {int(num(r.data, 'n'))}" for r in records if math.isfinite(num(r.data, "n"))}))
    title = f"Time to the top k eigenpairs, split by EPSSolve's parts ({sizes})"
    return save(fig, base, BenchProvenance(records, "eig"), title), notes


def fig_io(records, base):
    fig, axis = plt.subplots(figsize=(7.6, 5.0))
    ranks, series, notes, values = set(), 0, [], []
    for record in records:
        for dataset, rows in _by(record.rows, "dataset").items():
            r = [int(row["ranks"]) for row in rows]
            g = [num(row, "gbytes_per_s") for row in rows]
            ok = [i for i in range(len(r)) if math.isfinite(g[i])]
            if len(ok) < len(r):
                notes.append(f"{record.path}: {dataset}: {len(r) - len(ok)} run(s) without a finite gbytes_per_s")
            ranks.update(r)
            values += [g[i] for i in ok if g[i] > 0]
            size = num(rows[0], "bytes")
            shape = f"{_d(num(rows[0], 'rows'))}×{_d(num(rows[0], 'columns'))}, " if "rows" in rows[0] else ""
            axis.plot([r[i] for i in ok], [g[i] for i in ok], "o-", color=_colour(series), ms=5,
                      label=f"{record.tag} {dataset} ({shape}{_g(size / 1e6, 3)} MB; {record.data['hostname']})")
            series += 1
    _ranks_axis(axis, ranks)
    if values and max(values) > 20 * min(values):      # datasets of very different sizes: a log scale
        axis.set_yscale("log")
    else:
        axis.set_ylim(bottom=0)
    axis.set_ylabel("write bandwidth (bytes / best time) [GB/s]")
    axis.grid(True, which="major", color="0.9", lw=0.6)
    axis.legend(fontsize=7)
    title = "Write bandwidth of the archive datasets vs ranks (HDF5, fsync'ed)"
    return save(fig, base, BenchProvenance(records, "io"), title), notes


FIGURE_FUNCTIONS = {"products": fig_roofline, "scaling": fig_scaling, "eig": fig_time_to_k, "io": fig_io}


# ----------------------------------------------------------------------------- tables

def _g(value, digits=4):
    value = float("nan") if value is None else float(value)
    return f"{value:.{digits}g}" if math.isfinite(value) else ""


def _d(value):
    value = float("nan") if value is None else float(value)
    return f"{int(value)}" if math.isfinite(value) else ""


def _pct(value):
    value = float("nan") if value is None else float(value)
    return f"{100 * value:.1f}" if math.isfinite(value) else ""


def records_table(records):
    columns = ["#", "suite", "hostname", "cpu", "cores", "ranks", "gpus", "device", "precision", "BLAS threads",
               "software", "created", "file", "command"]
    keys = ["number", "suite", "hostname", "cpu", "cores", "ranks", "gpus", "device", "precision", "blas_threads",
            "software", "created", "file", "command"]
    table = Table("records", "Benchmark records: machine, software, command", columns)
    table.csv_columns = keys
    for record in records:
        values = [record.number] + [record.get(k, "") for k in keys[1:-2]] + [record.path, record.get("command", "")]
        table.rows.append([record.tag] + [str(v) for v in values[1:]])
        table.csv_rows.append(values)
    return table


def products_table(records):
    columns = ["#", "machine", "model", "product", "vectors", "best s", "median s", "per vector s", "GFLOP/s",
               "intensity FLOP/B", "bound GFLOP/s", "% of bound", "compute s", "communication s", "comm. %",
               "transfer s"]
    table = Table("products", "Products: best time, GEMM GFLOP/s, arithmetic intensity and the roofline bound",
                  columns)
    keys = ["vectors", "best_s", "median_s", "per_vector_s", "flops", "bytes", "gflops_per_s", "gbytes_per_s",
            "intensity", "bound_gflops", "fraction_of_bound", "compute_s", "communication_s", "transfer_s"]
    table.csv_columns = ["record", "hostname", "ranks", "device", "model", "product"] + keys + \
        ["communication_fraction"]
    for record in records:
        for row in record.rows:
            compute, comm = num(row, "compute_s"), num(row, "communication_s")
            share = comm / (compute + comm) if math.isfinite(compute + comm) and compute + comm > 0 else float("nan")
            table.rows.append([record.tag, record.machine(), record.get("model", ""), row["name"],
                               _d(num(row, "vectors")), _g(num(row, "best_s")), _g(num(row, "median_s")),
                               _g(num(row, "per_vector_s")), _g(num(row, "gflops_per_s"), 3),
                               _g(num(row, "intensity"), 3), _g(num(row, "bound_gflops"), 3),
                               _pct(num(row, "fraction_of_bound")), _g(compute, 3), _g(comm, 3), _pct(share),
                               _g(num(row, "transfer_s"), 3)])
            table.csv_rows.append([record.number, record.data["hostname"], int(record.data["ranks"]),
                                   record.get("device", ""), record.get("model", ""), row["name"]] +
                                  [num(row, k) for k in keys] + [share])
    for record in records:
        table.notes.append(
            f"{record.tag}: {record.get('model', '?')} ({record.get('params', '?')} parameters), "
            f"{record.get('loss', '?')} loss, {record.get('samples', '?')} samples in batches of "
            f"{record.get('batch', '?')} per rank, best of {record.get('repeat', '?')}; roofline "
            f"({record.get('roofline_source', '?')}) {_g(num(record.data, 'peak_gflops'))} GFLOP/s peak, "
            f"{_g(num(record.data, 'bandwidth_gbs'))} GB/s, all ranks together.")
    table.notes.append("% of bound: GFLOP/s over min(peak, intensity × bandwidth); comm. %: communication over "
                       "compute + communication (gradient, H v and GGN v only).")
    return table


def scaling_table(records):
    columns = ["#", "machine", "mode", "model", "product", "ranks", "samples", "best s", "median s", "ideal s",
               "speedup", "efficiency"]
    table = Table("scaling", "Scaling: time per product, speedup and parallel efficiency vs ranks", columns)
    table.csv_columns = ["record", "hostname", "mode", "model", "product", "ranks", "samples", "best_s", "median_s",
                         "ideal_s", "speedup", "efficiency"]
    for record in records:
        mode = record.data["mode"]
        for product, rows in _by(record.rows, "product").items():
            for row, ideal in zip(rows, ideal_times(rows, mode)):
                table.rows.append([record.tag, record.data["hostname"], mode, record.get("model", ""), product,
                                   _d(row["ranks"]), _d(num(row, "samples")), _g(num(row, "best_s")),
                                   _g(num(row, "median_s")), _g(ideal), _g(num(row, "speedup"), 3),
                                   _g(num(row, "efficiency"), 3)])
                table.csv_rows.append([record.number, record.data["hostname"], mode, record.get("model", ""), product,
                                       int(row["ranks"]), num(row, "samples"), num(row, "best_s"),
                                       num(row, "median_s"), ideal, num(row, "speedup"), num(row, "efficiency")])
    for record in records:
        per = "on all ranks together" if record.data["mode"] == "strong" else "per rank"
        parts = [f"{record.data['mode']} scaling of {record.get('model', '?')}",
                 f"{record.get('samples', '?')} samples {per}"]
        parts += [f"{name} {record.get(key)}" for key, name in (("batch", "batch"), ("loss", "loss"),
                                                                ("device", "device")) if record.get(key)]
        if record.get("repeat"):
            parts.append(f"best of {record.get('repeat')}")
        table.notes.append(f"{record.tag}: " + ", ".join(parts) + ".")
    table.notes.append("speedup and efficiency as recorded: efficiency t(r0) r0/(R t(R)) (strong) or t(r0)/t(R) "
                       "(weak), r0 the fewest ranks measured; ideal s: t(r0) r0/R (strong) or t(r0) (weak).")
    return table


def eig_table(records):
    columns = ["#", "machine", "n", "solver", "nev", "converged", "iterations", "products", "solve s", "products s",
               "basis s", "projected s", "other s", "max rel. error", "orthogonality loss", "peak RSS MiB"]
    table = Table("eig", "Eigensolver: time to the top k eigenpairs and its parts", columns)
    keys = ["nev", "converged", "iterations", "products", "solve_s", "products_s", "basis_s",
            "orthogonalize_columns_s", "orthogonalize_blocks_s", "projected_s"]
    table.csv_columns = ["record", "hostname", "ranks", "n", "name", "solver"] + keys + \
        ["other_s", "max_relative_error", "orthogonality_loss", "peak_rss_bytes"]
    for record in records:
        for row in record.rows:
            other = eig_split(row)["other"]
            rss = num(row, "peak_rss_bytes")
            table.rows.append([record.tag, record.machine(), _d(num(record.data, "n")), row["solver"],
                               _d(row["nev"]), _d(row["converged"]), _d(num(row, "iterations")),
                               _d(num(row, "products")), _g(num(row, "solve_s")), _g(num(row, "products_s")),
                               _g(num(row, "basis_s")), _g(num(row, "projected_s")), _g(other),
                               _g(num(row, "max_relative_error"), 3), _g(num(row, "orthogonality_loss"), 3),
                               _g(rss / 2 ** 20)])
            table.csv_rows.append([record.number, record.data["hostname"], int(record.data["ranks"]),
                                   num(record.data, "n"), row["name"], row["solver"]] +
                                  [num(row, k) for k in keys] +
                                  [other, num(row, "max_relative_error"), num(row, "orthogonality_loss"), rss])
    def size(value):
        return _d(value) if math.isfinite(value) and value > 0 else "SLEPc's default"
    for record in records:
        table.notes.append(f"{record.tag}: diag(i^-{_g(num(record.data, 'decay'))}) of n = "
                           f"{_d(num(record.data, 'n'))}, tol {_g(num(record.data, 'tol'))}, ncv "
                           f"{size(num(record.data, 'ncv'))}, mpd {size(num(record.data, 'mpd'))}.")
    table.notes.append("other s: solve s minus products, basis and projected seconds (0 when negative).")
    return table


def io_table(records):
    columns = ["#", "machine", "dataset", "ranks", "rows", "columns", "bytes", "best s", "median s", "GB/s"]
    table = Table("io", "I/O: bytes written, seconds and write bandwidth per dataset vs ranks", columns)
    table.csv_columns = ["record", "hostname", "dataset", "ranks", "rows", "columns", "bytes", "best_s", "median_s",
                         "gbytes_per_s"]
    for record in records:
        for dataset, rows in _by(record.rows, "dataset").items():
            for row in rows:
                table.rows.append([record.tag, record.data["hostname"], dataset, _d(row["ranks"]),
                                   _d(num(row, "rows")), _d(num(row, "columns")), _d(num(row, "bytes")),
                                   _g(num(row, "best_s")), _g(num(row, "median_s")),
                                   _g(num(row, "gbytes_per_s"), 3)])
                table.csv_rows.append([record.number, record.data["hostname"], dataset, int(row["ranks"]),
                                       num(row, "rows"), num(row, "columns"), num(row, "bytes"), num(row, "best_s"),
                                       num(row, "median_s"), num(row, "gbytes_per_s")])
    for record in records:
        parts = [f"{key} {_d(num(record.data, key))}" for key in ("n", "nev", "steps", "k", "chunk", "repeat")
                 if math.isfinite(num(record.data, key))]
        if record.get("dir"):
            parts.append(f"written in {record.get('dir')}")
        table.notes.append(f"{record.tag}: " + ", ".join(parts) + ".")
    return table


TABLE_FUNCTIONS = {"products": products_table, "scaling": scaling_table, "eig": eig_table, "io": io_table}
HEADINGS = {"products": "Products (`hesscov bench products`)", "scaling": "Scaling (`hesscov bench scaling`)",
            "eig": "Eigensolver (`hesscov bench eig`)", "io": "I/O (`hesscov bench io`)"}


# ----------------------------------------------------------------------------- the report

def _rel(path, out):
    return os.path.relpath(path, out).replace(os.sep, "/")


def build(inputs, out, log=print, command=None):
    """Figures, tables and report.md of the records under inputs, into out; returns the files written."""
    records, notes = load(inputs, log)
    by_suite = {suite: [r for r in records if r.suite == suite] for suite in SUITES}
    if not any(by_suite.values()):
        what = "no hesscov bench record" if not records else \
            f"no record of a known suite ({', '.join(SUITES)}; found {', '.join(sorted({r.suite for r in records}))})"
        raise ArchiveError(f"{', '.join(inputs)}: {what} (hesscov bench <suite> --record PATH writes PATH.h5 and "
                           f"its .json twin)")
    for record in records:
        log(f"record {record.tag}: {record.path} ({record.suite}, {record.machine()}, {len(record.rows)} rows)")
    os.makedirs(out, exist_ok=True)
    written, sections = [], []
    tables = [records_table(records)]
    for suite in SUITES:
        chosen = by_suite[suite]
        if not chosen:
            line = f"no {suite} record: the {FIGURES[suite]} figure and the {suite} table are skipped"
            log("note: " + line)
            notes.append(line)
            continue
        table = TABLE_FUNCTIONS[suite](chosen)
        tables.append(table)
        paths, figure_notes = FIGURE_FUNCTIONS[suite](chosen, os.path.join(out, FIGURES[suite]))
        for line in figure_notes:
            log("note: " + line)
        notes += figure_notes
        written += paths
        sections.append((suite, chosen, table, paths))
    table_files = {}
    for table in tables:
        table_files[table.name] = table.write(os.path.join(out, "tables"))
        written += table_files[table.name]
    page = os.path.join(out, "report.md")
    with open(page, "w", encoding="utf-8") as handle:
        handle.write(_markdown(records, tables[0], table_files, sections, notes, out, command))
    written.append(page)
    for path in written:
        log(f"wrote {path}")
    return written


def _links(paths, out):
    return " · ".join(f"[{os.path.basename(p)}]({_rel(p, out)})" for p in paths)


def _markdown(records, records_tab, table_files, sections, notes, out, command):
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    counts = ", ".join(f"{s} {sum(r.suite == s for r in records)}" for s in SUITES if any(r.suite == s for r in records))
    lines = ["# HessCov benchmark report", "",
             f"- records: {len(records)} ({counts})",
             "- machines: " + "; ".join(sorted({f"{r.data['hostname']} ({r.get('cpu', '?')}, "
                                               f"{r.get('cores', '?')} cores, {r.get('gpus', 0)} GPUs)"
                                               for r in records})),
             "- software: " + "; ".join(sorted({r.data["software"] for r in records})),
             f"- report: hesscov analysis {__version__}, {when}"]
    if command:
        lines.append(f"- command: `{command}`")
    lines += ["", "## Records", "", records_tab.markdown(heading="###"), _links(table_files["records"], out), ""]
    for suite, chosen, table, paths in sections:
        lines += [f"## {HEADINGS[suite]}", "", table.markdown(heading="###"), _links(table_files[table.name], out), ""]
        png = next(p for p in paths if p.endswith(".png"))
        lines += [f"![{FIGURES[suite]}]({_rel(png, out)})", "",
                  f"{FIGURES[suite]}: " + " · ".join(f"[{os.path.splitext(p)[1][1:].upper()}]({_rel(p, out)})"
                                                     for p in paths), ""]
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(lines)


def run(args):
    """The `bench` command: exit status 0; errors raise ArchiveError (exit 1)."""
    import shlex
    import sys
    command = "python3 -m analysis " + " ".join(shlex.quote(a) for a in (getattr(args, "argv", None) or sys.argv[1:]))
    build(args.records, args.out, command=command)
    return 0

