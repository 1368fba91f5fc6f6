"""`report INDEX --out DIR`: every table and figure of a sweep in one folder, with index.md and index.html.

    DIR/index.md, DIR/index.html      the page: runs and their status, the tables, the figures
    DIR/tables/<name>.csv, .md         runs, alignment (+ alignment-runs), fluctuations (+ fluctuations-runs)
    DIR/figures/sweep/<name>.png, .pdf figures that combine runs (trace over training, sampling pairs)
    DIR/figures/<run id>/<name>.png, .pdf  the figures of one run (the first seed of each configuration,
                                       or every finished run with --all-runs)

Incomplete runs (views), unreadable files and skipped figures are listed on the page, never fatal.
"""
import datetime
import html
import os

from . import __version__
from .figures import collapse_notes, representatives, run_figures, sweep_figures
from .tables import all_tables


def _rel(path, out):
    return os.path.relpath(path, out).replace(os.sep, "/")


def build_report(sweep, out, all_runs=False, log=print, only=None):
    """Write the report; returns the list of files written (pages included)."""
    os.makedirs(out, exist_ok=True)
    written = []
    tables = all_tables(sweep)
    table_files = {}
    for table, _ in tables:
        paths = table.write(os.path.join(out, "tables"))
        table_files[table.name] = paths
        written += paths
    sweep_made, sweep_notes = sweep_figures(sweep, os.path.join(out, "figures", "sweep"), log=log, only=only)
    per_run = []
    notes = []
    configurations = {}
    for config in sweep.configurations() if sweep.usable() else []:
        for run in config.runs:
            configurations[run.run_id] = config
    for run in representatives(sweep, all_runs):
        log(f"figures of {run.label()}")
        index = sweep.path if sweep.format == "hesscov-index" else None
        made, run_notes = run_figures(run, os.path.join(out, "figures", run.run_id), index=index, only=only)
        config = configurations.get(run.run_id)
        heading = (config.label() if config is not None and config.values else "run") + \
            f": run {run.run_id} (#{run.number}, seed {run.seed})"
        per_run.append((heading, run, made))
        notes += run_notes
    for _, paths, _ in sweep_made:
        written += paths
    for _, _, made in per_run:
        for _, paths, _ in made:
            written += paths
    notes = list(sweep_notes) + collapse_notes(notes)
    for line in notes[len(sweep_notes):]:
        log("note: " + line)
    skipped = [e for e in sweep.entries if not e.usable]

    md = _markdown(sweep, out, tables, table_files, sweep_made, per_run, notes, skipped, all_runs)
    page = os.path.join(out, "index.md")
    with open(page, "w", encoding="utf-8") as handle:
        handle.write(md)
    page_html = os.path.join(out, "index.html")
    with open(page_html, "w", encoding="utf-8") as handle:
        handle.write(_html(sweep, out, tables, table_files, sweep_made, per_run, notes, skipped, all_runs))
    return written + [page, page_html]


def _header(sweep):
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [f"{sweep.format} archive: {os.path.abspath(sweep.path)}",
            f"written by: {sweep.software}",
            f"report: hesscov analysis {__version__}, {when}"]


def _figure_md(name, paths, caption, out):
    png = next(p for p in paths if p.endswith(".png"))
    links = " · ".join(f"[{os.path.splitext(p)[1][1:].upper()}]({_rel(p, out)})" for p in paths)
    return f"![{caption}]({_rel(png, out)})\n\n{name}: {caption} — {links}\n"


def _markdown(sweep, out, tables, table_files, sweep_made, per_run, notes, skipped, all_runs):
    lines = [f"# HessCov report: {sweep.description or os.path.basename(sweep.folder)}", ""]
    lines += [f"- {line}" for line in _header(sweep)]
    lines.append("")
    lines.append("## Runs")
    lines.append("")
    for table, show in tables:
        if table.name == "runs":
            lines.append(table.markdown(heading="###"))
            lines.append(_links_md(table_files[table.name], out))
    if skipped:
        lines.append(f"{len(skipped)} runs are not in the tables or figures (incomplete or unreadable): "
                     + "; ".join(f"`{e.run_id}` {e.status}" for e in skipped) + "\n")
    lines.append("## Tables")
    lines.append("")
    shown = False
    for table, show in tables:
        if table.name == "runs":
            continue
        if show:
            lines.append(table.markdown(heading="###"))
            shown = True
        else:
            lines.append("Per-run values: ")
        lines.append(_links_md(table_files[table.name], out))
    if not shown:
        lines.append("No finished run has an align or fluct analysis.\n")
    lines.append("## Sweep figures")
    lines.append("")
    for name, paths, caption in sweep_made:
        lines.append(_figure_md(name, paths, caption, out))
    if not sweep_made:
        lines.append("None.\n")
    lines.append("## Figures per run" + ("" if all_runs else " (the first seed of each configuration)"))
    lines.append("")
    for heading, run, made in per_run:
        lines.append(f"### {heading}")
        lines.append("")
        for name, paths, caption in made:
            lines.append(_figure_md(name, paths, caption, out))
        if not made:
            lines.append("No figure: the run has no analysis to draw.\n")
    if notes:
        lines.append("## Notes")
        lines.append("")
        lines += [f"- {n}" for n in notes]
        lines.append("")
    return "\n".join(lines)


def _links_md(paths, out):
    return " · ".join(f"[{os.path.basename(p)}]({_rel(p, out)})" for p in paths) + "\n"


def _html(sweep, out, tables, table_files, sweep_made, per_run, notes, skipped, all_runs):
    esc = html.escape
    title = f"HessCov report: {sweep.description or os.path.basename(sweep.folder)}"
    parts = ["<!DOCTYPE html>", "<html><head><meta charset='utf-8'>", f"<title>{esc(title)}</title>",
             "<style>body{font-family:sans-serif;max-width:1400px;margin:auto;padding:1em}"
             "table{border-collapse:collapse;font-size:12px;margin:0.5em 0}"
             "td,th{border:1px solid #ccc;padding:2px 6px;white-space:nowrap}"
             "img{max-width:100%;border:1px solid #eee}figure{margin:1em 0}"
             ".note{color:#555;font-size:12px}</style>", "</head><body>", f"<h1>{esc(title)}</h1>", "<ul>"]
    parts += [f"<li>{esc(line)}</li>" for line in _header(sweep)]
    parts.append("</ul>")

    def links(name):
        return "<p>" + " · ".join(f"<a href='{esc(_rel(p, out))}'>{esc(os.path.basename(p))}</a>"
                                  for p in table_files[name]) + "</p>"

    def figure(name, paths, caption):
        png = next(p for p in paths if p.endswith(".png"))
        alt = " · ".join(f"<a href='{esc(_rel(p, out))}'>{os.path.splitext(p)[1][1:].upper()}</a>" for p in paths)
        return (f"<figure><img src='{esc(_rel(png, out))}' alt='{esc(caption)}'>"
                f"<figcaption>{esc(name)}: {esc(caption)} — {alt}</figcaption></figure>")

    parts.append("<h2>Runs</h2>")
    for table, _ in tables:
        if table.name == "runs":
            parts.append(table.html())
            parts.append(links("runs"))
    if skipped:
        parts.append("<p>" + esc(f"{len(skipped)} runs are not in the tables or figures (incomplete or unreadable): "
                                 + "; ".join(f"{e.run_id} {e.status}" for e in skipped)) + "</p>")
    parts.append("<h2>Tables</h2>")
    for table, show in tables:
        if table.name == "runs":
            continue
        if show:
            parts.append(table.html())
        else:
            parts.append("<p>Per-run values:</p>")
        parts.append(links(table.name))
    parts.append("<h2>Sweep figures</h2>")
    parts += [figure(*item) for item in sweep_made] or ["<p>None.</p>"]
    parts.append("<h2>Figures per run" + ("" if all_runs else " (the first seed of each configuration)") + "</h2>")
    for heading, run, made in per_run:
        parts.append(f"<h3>{esc(heading)}</h3>")
        parts += [figure(*item) for item in made] or ["<p>No figure: the run has no analysis to draw.</p>"]
    if notes:
        parts.append("<h2>Notes</h2><ul>")
        parts += [f"<li class='note'>{esc(n)}</li>" for n in notes]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
