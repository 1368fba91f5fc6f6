"""Tables of a sweep: the runs and their status, Study 1's alignment table, Study 2's fluctuation table.

Each table is printed as text and written as CSV and Markdown (`write`). Values are taken at the
LAST measure point of each run that has the analysis; runs are grouped into configurations by every
config value except the seed (the run's /config, not only the summary row), and each cell is the
mean ± sample standard deviation (ddof = 1) over the seeds of its configuration, with the number
of seeds. Diverged runs and incomplete runs (views) are listed in the runs table and left out of
the others.
"""
import csv
import os

import numpy as np

from .reader import attr, display

# name, label, group under align/, attribute
ALIGN_MEASURES = [
    ("gamma", "γ", "covariance", "gamma"),
    ("gamma_awd", "γ_AWD", "awd", "gamma"),
    ("m", "m", "covariance", "m"),
    ("m_rand", "m_rand", "baseline", "m_mean"),
    ("null_expected", "E|ρ| null", "covariance", "null_expected"),
    ("k_eff", "k_eff", "covariance", "k_eff"),
    ("z", "z", "covariance", "z"),
    ("p_value", "p", "covariance", "p_value"),
]

# name, label, group under fluct/, attribute
FLUCT_MEASURES = [
    ("lambda_cross", "λ_cross", "stats", "lambda_cross"),
    ("lambda_cross_theory", "λ_cross theory", "stats", "lambda_cross_theory"),
    ("tau_sgd", "τ_SGD", "stats", "tau_sgd"),
    ("tau_sgd_theory", "τ_SGD theory", "stats", "tau_sgd_theory"),
    ("theta_exponent", "σ²_θ exponent", "stats", "theta_fit"),
    ("velocity_exponent", "σ²_v exponent", "stats", "velocity_fit"),
    ("tau_exponent", "τ exponent", "stats", "tau_fit"),
    ("white_fraction", "ε̄", "stats", "white_fraction_mean"),
]


def summarize(values):
    """(mean, sample std, finite count, count) over the finite values."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    n = len(values)
    if len(finite) == 0:
        return float("nan"), float("nan"), 0, n
    mean = float(np.mean(finite))
    std = float(np.std(finite, ddof=1)) if len(finite) > 1 else float("nan")
    return mean, std, len(finite), n


def format_cell(mean, std, finite, n):
    if finite == 0:
        return "n/a"
    text = f"{mean:.4g}"
    if np.isfinite(std) and std > 1e-12 * max(abs(mean), 1e-300):
        text += f" ± {std:.2g}"
    if finite < n:
        text += f" ({finite} of {n})"
    return text


def _number(value):
    if value is None:
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


class Table:
    """A table with display cells (text, Markdown) and numeric CSV columns."""

    def __init__(self, name, title, columns, groups=None):
        self.name = name
        self.title = title
        self.columns = columns        # display headers
        self.groups = groups          # optional: one group label per column (two-level text header)
        self.rows = []
        self.csv_columns = []
        self.csv_rows = []
        self.notes = []

    def text(self):
        headers = list(self.columns)
        widths = [max(len(str(h)), *(len(str(r[i])) for r in self.rows)) if self.rows else len(str(h))
                  for i, h in enumerate(headers)]
        lines = [self.title]
        if self.groups:
            spans = []
            i = 0
            while i < len(headers):
                j = i
                while j + 1 < len(headers) and self.groups[j + 1] == self.groups[i]:
                    j += 1
                width = sum(widths[i:j + 1]) + 2 * (j - i)
                spans.append(str(self.groups[i] or "").center(width) if self.groups[i] else " " * width)
                i = j + 1
            lines.append("  ".join(spans).rstrip())
        lines.append("  ".join(str(h).ljust(w) for h, w in zip(headers, widths)).rstrip())
        lines.append("  ".join("-" * w for w in widths))
        for row in self.rows:
            lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
        lines.extend(self.notes)
        return "\n".join(lines)

    def markdown_headers(self):
        if not self.groups:
            return list(self.columns)
        return [f"{g}: {c}" if g else str(c) for g, c in zip(self.groups, self.columns)]

    def markdown(self, heading="###"):
        def cell(value):
            return str(value).replace("|", "\\|")
        lines = [f"{heading} {self.title}", ""]
        headers = self.markdown_headers()
        lines.append("| " + " | ".join(cell(h) for h in headers) + " |")
        lines.append("|" + "|".join("---" for _ in headers) + "|")
        for row in self.rows:
            lines.append("| " + " | ".join(cell(c) for c in row) + " |")
        if self.notes:
            lines.append("")
            lines.extend(f"{n}  " for n in self.notes)
        return "\n".join(lines) + "\n"

    def html(self):
        import html as _html
        esc = _html.escape
        parts = [f"<h3>{esc(self.title)}</h3>", "<table>"]
        if self.groups:
            parts.append("<tr>")
            i = 0
            while i < len(self.columns):
                j = i
                while j + 1 < len(self.columns) and self.groups[j + 1] == self.groups[i]:
                    j += 1
                parts.append(f"<th colspan='{j - i + 1}'>{esc(str(self.groups[i] or ''))}</th>")
                i = j + 1
            parts.append("</tr>")
        parts.append("<tr>" + "".join(f"<th>{esc(str(c))}</th>" for c in self.columns) + "</tr>")
        for row in self.rows:
            parts.append("<tr>" + "".join(f"<td>{esc(str(c))}</td>" for c in row) + "</tr>")
        parts.append("</table>")
        for note in self.notes:
            parts.append(f"<p class='note'>{esc(note)}</p>")
        return "\n".join(parts)

    def write(self, folder):
        """name.csv and name.md in folder; returns their paths."""
        os.makedirs(folder, exist_ok=True)
        csv_path = os.path.join(folder, self.name + ".csv")
        with open(csv_path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(self.csv_columns)
            for row in self.csv_rows:
                writer.writerow(["nan" if isinstance(v, float) and not np.isfinite(v) else v for v in row])
        md_path = os.path.join(folder, self.name + ".md")
        with open(md_path, "w", encoding="utf-8") as handle:
            handle.write(self.markdown(heading="#"))
        return [csv_path, md_path]


# ----------------------------------------------------------------------------- runs

def runs_table(sweep):
    """Every run the index lists: number, id, status, archive, grid values, final state, note."""
    varying = []
    for entry in sweep.entries:            # the grid keys of every listed run (its /summary), in order
        for key in (entry.run.grid() if entry.run is not None else {}):
            if key != "seed" and key not in varying:
                varying.append(key)
    columns = ["#", "run id", "status", "archive"] + varying + ["seed", "steps", "train loss", "train acc", "note"]
    table = Table("runs", f"Runs of {os.path.basename(sweep.path)}" +
                  (f" ({sweep.description})" if sweep.description else ""), columns)
    table.csv_columns = ["number", "run_id", "status", "archive", "file"] + varying + \
        ["seed", "steps", "train_loss", "train_accuracy", "note"]
    order = sorted(sweep.entries, key=lambda e: (e.number if e.number is not None else 1 << 30, e.run_id))
    for entry in order:
        run = entry.run
        config = run.config if run is not None else {}
        values = [display(config[k]) if k in config else "" for k in varying]
        seed = display(run.seed) if run is not None and run.seed is not None else ""
        steps = entry.summary.get("steps", float("nan"))
        loss = entry.summary.get("train_loss", float("nan"))
        accuracy = entry.summary.get("train_accuracy", float("nan"))
        number = "" if entry.number is None else entry.number
        table.rows.append([number, entry.run_id, entry.status, entry.archive] + values +
                          [seed, _fmt(steps, "d"), _fmt(loss), _fmt(accuracy), entry.note])
        table.csv_rows.append([number, entry.run_id, entry.status, entry.archive, entry.file] + values +
                              [seed, _number(steps), _number(loss), _number(accuracy), entry.note])
    counts = {}
    for entry in sweep.entries:
        counts[entry.state] = counts.get(entry.state, 0) + 1
    table.notes.append("runs: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    for file, reason in sweep.unreadable:
        table.notes.append(f"unreadable {file}: {reason}")
    for orphan in sweep.orphans:
        table.notes.append(f"{orphan}: a partial folder without a run file (killed before its first commit)")
    return table


def _fmt(value, kind="g"):
    value = _number(value)
    if not np.isfinite(value):
        return ""
    return f"{int(value)}" if kind == "d" else f"{value:.4g}"


# ----------------------------------------------------------------------------- alignment (Study 1)

def alignment_values(point):
    """{measure: value} of an align analysis (NaN where its group or attribute is absent)."""
    align = point.align
    values = {}
    for name, _, group, attribute in ALIGN_MEASURES:
        value = float("nan")
        if group in align and attribute in align[group].attrs:
            value = _number(attr(align[group], attribute))
        values[name] = value
    values["k"] = int(align["lambda"].shape[0]) if "lambda" in align else 0
    return values


def _row_keys(configurations, base_of, column_of):
    """Varying config keys not determined by (row base, column): they join the row label."""
    if not configurations:
        return [], []
    varying = list(configurations[0].values)
    extra, implied = [], []
    for key in varying:
        seen = {}
        determined = True
        for config in configurations:
            ident = (base_of(config), column_of(config))
            value = config.values[key]
            if seen.setdefault(ident, value) != value:
                determined = False
                break
        (implied if determined else extra).append(key)
    return extra, implied


def alignment_table(sweep):
    """Study 1's table, or None when no usable run has an align analysis."""
    runs = [r for r in sweep.usable(include_diverged=False) if r.last("align") is not None]
    if not runs:
        return None, None
    per_run = {r.run_id: (r.last("align"), alignment_values(r.last("align"))) for r in runs}
    configurations = sweep.configurations(runs)

    def base_of(config):
        run = config.runs[0]
        return (run.dataset_name(), display(run.config.get("model.type", "?")), display(run.classes()))

    def loss_of(config):
        return display(config.runs[0].config.get("model.loss", "?"))

    extra, implied = _row_keys(configurations, base_of, loss_of)
    extra = [k for k in extra if k != "model.loss"]
    implied = [k for k in implied if k not in ("model.loss",)]
    losses = []
    rows = {}
    for config in configurations:
        loss = loss_of(config)
        if loss not in losses:
            losses.append(loss)
        row = base_of(config) + tuple(config.values[k] for k in extra)
        rows.setdefault(row, {})[loss] = config

    columns = ["dataset", "model", "classes"] + extra + ["k"]
    groups = [""] * len(columns)
    for loss in losses:
        columns += ["seeds"] + [label for _, label, _, _ in ALIGN_MEASURES]
        groups += [loss] * (1 + len(ALIGN_MEASURES))
    table = Table("alignment", "Study 1: noise-curvature alignment at the last measure point "
                  "(mean ± std over seeds)", columns, groups)
    table.csv_columns = ["dataset", "model", "classes"] + extra + ["k"]
    for loss in losses:
        table.csv_columns.append(f"{loss}:seeds")
        for name, _, _, _ in ALIGN_MEASURES:
            table.csv_columns += [f"{loss}:{name}:mean", f"{loss}:{name}:std"]

    for row, cells in rows.items():
        ks = sorted({per_run[r.run_id][1]["k"] for c in cells.values() for r in c.runs})
        display_row = list(row) + ["/".join(map(str, ks))]
        csv_row = list(row) + ["/".join(map(str, ks))]
        for loss in losses:
            config = cells.get(loss)
            if config is None:
                display_row += [""] * (1 + len(ALIGN_MEASURES))
                csv_row += [0] + [float("nan")] * (2 * len(ALIGN_MEASURES))
                continue
            display_row.append(len(config.runs))
            csv_row.append(len(config.runs))
            for name, _, _, _ in ALIGN_MEASURES:
                mean, std, finite, n = summarize([per_run[r.run_id][1][name] for r in config.runs])
                display_row.append(format_cell(mean, std, finite, n))
                csv_row += [mean, std]
        table.rows.append(display_row)
        table.csv_rows.append(csv_row)
    steps = sorted({per_run[r.run_id][0].step for r in runs})
    table.notes.append(f"{len(runs)} runs in {len(configurations)} configurations; values at each run's last "
                       f"align point (steps {', '.join(map(str, steps))}); m_rand = baseline@m_mean, "
                       f"E|ρ| null = covariance@null_expected; std over seeds with ddof = 1")
    if implied:
        table.notes.append("config keys that vary with the row and loss: " + ", ".join(implied))
    left_out = [e for e in sweep.entries if e.run is None or not e.usable or e.run.diverged]
    if left_out:
        table.notes.append("left out: " + "; ".join(f"{e.run_id} ({e.status})" for e in left_out))

    runs_csv = Table("alignment-runs", "Study 1: every run at its last align point", [])
    runs_csv.csv_columns = ["run_id", "number", "seed", "step", "dataset", "model", "classes", "loss"] + \
        extra + ["k"] + [name for name, _, _, _ in ALIGN_MEASURES]
    runs_csv.columns = runs_csv.csv_columns
    for config in configurations:
        for run in config.runs:
            point, values = per_run[run.run_id]
            line = [run.run_id, run.number, run.seed, point.step] + list(base_of(config)) + [loss_of(config)] + \
                [config.values[k] for k in extra] + [values["k"]] + [values[n] for n, _, _, _ in ALIGN_MEASURES]
            runs_csv.csv_rows.append(line)
            runs_csv.rows.append([f"{v:.4g}" if isinstance(v, float) else v for v in line])
    return table, runs_csv


# ----------------------------------------------------------------------------- fluctuations (Study 2)

def fluct_values(point):
    stats = point.fluct["stats"] if "stats" in point.fluct else None
    values = {}
    for name, _, _, attribute in FLUCT_MEASURES:
        values[name] = _number(attr(stats, attribute)) if stats is not None else float("nan")
    values["M"] = attr(point.fluct, "steps_per_epoch")
    values["sampling"] = attr(point.fluct, "sampling", "")
    return values


def fluctuation_table(sweep):
    """Study 2's table, or None when no usable run has a fluct analysis."""
    runs = [r for r in sweep.usable(include_diverged=False) if r.last("fluct") is not None]
    if not runs:
        return None, None
    per_run = {r.run_id: (r.last("fluct"), fluct_values(r.last("fluct"))) for r in runs}
    configurations = sweep.configurations(runs)
    keys = list(configurations[0].values) if configurations else []
    columns = keys + ["M", "seeds"] + [label for _, label, _, _ in FLUCT_MEASURES]
    table = Table("fluctuations", "Study 2: fluctuation window at the last measure point "
                  "(mean ± std over seeds)", columns)
    table.csv_columns = keys + ["M", "seeds"]
    for name, _, _, _ in FLUCT_MEASURES:
        table.csv_columns += [f"{name}:mean", f"{name}:std", f"{name}:finite"]
    for config in configurations:
        Ms = sorted({per_run[r.run_id][1]["M"] for r in config.runs})
        row = [config.values[k] for k in keys] + ["/".join(map(str, Ms)), len(config.runs)]
        csv_row = list(row)
        for name, _, _, _ in FLUCT_MEASURES:
            mean, std, finite, n = summarize([per_run[r.run_id][1][name] for r in config.runs])
            row.append(format_cell(mean, std, finite, n))
            csv_row += [mean, std, finite]
        table.rows.append(row)
        table.csv_rows.append(csv_row)
    table.notes.append(f"{len(runs)} runs in {len(configurations)} configurations. λ_cross, τ_SGD: the empirical "
                       f"crossover (stats@lambda_cross, @tau_sgd; NaN where it failed, counted as 'k of n'); theory "
                       f"3(1−β)/(ηM) and (M/3)(1+β)/(1−β); exponents of σ²_θ, σ²_v, τ ∝ λ^a "
                       f"(stats@theta_fit, @velocity_fit, @tau_fit); ε̄ = stats@white_fraction_mean")
    left_out = [e for e in sweep.entries if e.run is None or not e.usable or e.run.diverged]
    if left_out:
        table.notes.append("left out: " + "; ".join(f"{e.run_id} ({e.status})" for e in left_out))
    runs_csv = Table("fluctuations-runs", "Study 2: every run at its last fluct point", [])
    runs_csv.csv_columns = ["run_id", "number", "seed", "step"] + keys + ["M"] + [n for n, _, _, _ in FLUCT_MEASURES]
    runs_csv.columns = runs_csv.csv_columns
    for config in configurations:
        for run in config.runs:
            point, values = per_run[run.run_id]
            line = [run.run_id, run.number, run.seed, point.step] + [config.values[k] for k in keys] + \
                [values["M"]] + [values[n] for n, _, _, _ in FLUCT_MEASURES]
            runs_csv.csv_rows.append(line)
            runs_csv.rows.append([f"{v:.4g}" if isinstance(v, float) else v for v in line])
    return table, runs_csv


def all_tables(sweep):
    """[(table, also_print)]: the runs table, then each study's table and its per-run CSV."""
    tables = [(runs_table(sweep), True)]
    for build in (alignment_table, fluctuation_table):
        table, per_run = build(sweep)
        if table is not None:
            tables.append((table, True))
            tables.append((per_run, False))
    return tables


def write_tables(sweep, out=None, stream=None):
    """Print the tables (to stream) and, with out, write CSV and Markdown; returns the written paths."""
    import sys
    stream = stream or sys.stdout
    written = []
    tables = all_tables(sweep)
    for table, show in tables:
        if show:
            print(table.text(), file=stream)
            print(file=stream)
        if out:
            written += table.write(out)
    if len(tables) == 1:
        print("no align or fluct analysis in any finished run: only the runs table", file=stream)
    return tables, written
