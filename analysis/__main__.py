"""python3 -m analysis COMMAND ...: tables, figures and reports of HessCov archives (docs/analysis.md).

    runs ARCHIVE                                   the runs an index lists, with their status
    tables INDEX [--out DIR]                       print the tables; with --out also CSV and Markdown
    figures ARCHIVE_OR_INDEX [--run N] [--step K] [--all-runs] [--out DIR]
                                                   PNG and PDF figures with their provenance
    report INDEX --out DIR [--all-runs]            every table and figure, with index.md and index.html
    fluctuations ARCHIVE [--run N] [--out FILE]    Study 2's four-panel window figure and ratio lines
    bench RECORD_OR_DIR... --out DIR               roofline, scaling, time-to-k and io figures, tables and
                                                   report.md of `hesscov bench <suite> --record` records

ARCHIVE may be a sweep index (index.h5, or its folder), a run file (runs/<id>.h5) or a file of
`hesscov align`, `hesscov eig` or `hesscov fluct`; RECORD a `hesscov bench --record` record (PATH.json,
or the PATH.h5 beside it), the records.h5 of `hesscov bench collect`, or a folder of records. Exit
status: 0 done, 1 an error (the message names the file and what is missing), 2 a usage error.
"""
import argparse
import os
import sys


def _require():
    missing = []
    for module in ("numpy", "h5py", "matplotlib"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        print(f"error: the analysis package needs {', '.join(missing)} (Debian: "
              f"{', '.join('python3-' + m for m in missing)}; use /usr/bin/python3)", file=sys.stderr)
        sys.exit(1)


def cmd_runs(args):
    from .reader import open_sweep
    with open_sweep(args.archive) as sweep:
        for line in sweep.listing():
            print(line)
    return 0


def cmd_tables(args):
    from .reader import open_sweep
    from .tables import write_tables
    with open_sweep(args.index) as sweep:
        for line in sweep.listing():
            print(line)
        print()
        _, written = write_tables(sweep, args.out)
    for path in written:
        print(f"wrote {path}")
    return 0


def _only(args):
    """The --only set, or None; exits 2 naming an unknown figure."""
    if not getattr(args, "only", None):
        return None
    from .figures import RUN_FIGURE_NAMES, SWEEP_FIGURE_NAMES
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    unknown = only - set(RUN_FIGURE_NAMES) - set(SWEEP_FIGURE_NAMES)
    if unknown:
        print(f"error: --only {','.join(sorted(unknown))}: no such figure (figures: "
              f"{', '.join(RUN_FIGURE_NAMES)}; sweep figures: {', '.join(SWEEP_FIGURE_NAMES)})", file=sys.stderr)
        sys.exit(2)
    return only


def cmd_figures(args):
    from .figures import collapse_notes, representatives, run_figures, sweep_figures
    from .reader import open_sweep
    out = args.out
    only = _only(args)
    with open_sweep(args.archive) as sweep:
        index = sweep.path if sweep.format == "hesscov-index" else None
        if args.run is not None:
            runs = [sweep.find(args.run)]
        elif sweep.format == "hesscov-index":
            for line in sweep.listing():
                print(line)
            runs = representatives(sweep, args.all_runs)
        else:
            runs = [sweep.entries[0].run]
        made_any, notes = [], []
        for run in runs:
            if not run.finished:
                print(f"note: {run.label()} is incomplete ({run.archive}, status {run.status}); "
                      f"drawing what it has committed")
            folder = os.path.join(out, run.run_id) if len(runs) > 1 or index else out
            made, run_notes = run_figures(run, folder, step=args.step, index=index, only=only)
            notes += run_notes
            for name, paths, _ in made:
                made_any += paths
        for line in collapse_notes(notes):
            print("note: " + line)
        if index and args.run is None:
            made, _ = sweep_figures(sweep, os.path.join(out, "sweep"), only=only)
            for _, paths, _ in made:
                made_any += paths
    for path in made_any:
        print(f"wrote {path}")
    if not made_any:
        from .reader import ArchiveError
        what = ", ".join(r.run_id for r in runs) if len(runs) <= 3 else f"{len(runs)} runs"
        raise ArchiveError(f"{args.archive}: no figure could be made (no align, eig or fluct analysis "
                           f"{'in ' + what if runs else 'in a finished run'}"
                           f"{'' if only is None else ' among --only ' + ','.join(sorted(only))})")
    return 0


def cmd_report(args):
    from .reader import open_sweep
    from .report import build_report
    with open_sweep(args.index) as sweep:
        for line in sweep.listing():
            print(line)
        written = build_report(sweep, args.out, all_runs=args.all_runs, only=_only(args))
    print(f"wrote {len(written)} files under {args.out}: {os.path.join(args.out, 'index.md')}, "
          f"{os.path.join(args.out, 'index.html')}")
    return 0


def cmd_fluctuations(args):
    from . import fluctuations
    return fluctuations.run(args)


def cmd_bench(args):
    from . import bench
    return bench.run(args)


def parser():
    main = argparse.ArgumentParser(prog="python3 -m analysis", description=__doc__,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = main.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    p = sub.add_parser("runs", help="list the runs of an index with their status")
    p.add_argument("archive")
    p.set_defaults(func=cmd_runs)
    p = sub.add_parser("tables", help="alignment and fluctuation tables (text, CSV, Markdown)")
    p.add_argument("index", help="a sweep index (or a run file)")
    p.add_argument("--out", help="folder for the CSV and Markdown files")
    p.set_defaults(func=cmd_tables)
    p = sub.add_parser("figures", help="PNG and PDF figures with provenance")
    p.add_argument("archive", help="a sweep index, a run file, or a hesscov align/eig/fluct file")
    p.add_argument("--run", help="with an index: one run, by number or id")
    p.add_argument("--step", type=int, help="the checkpoint step (default: each analysis's last)")
    p.add_argument("--all-runs", action="store_true", help="with an index: every finished run, "
                   "not only the first seed of each configuration")
    p.add_argument("--only", help="comma-separated figure names (cv-heatmap, correlation, power-law, per-sample, "
                   "suppression, noise-autocorrelation, fluctuations, spectrum, trace, sampling)")
    p.add_argument("--out", default="figures", help="output folder (default: figures)")
    p.set_defaults(func=cmd_figures)
    p = sub.add_parser("report", help="every table and figure in a folder with index.md and index.html")
    p.add_argument("index")
    p.add_argument("--out", required=True)
    p.add_argument("--all-runs", action="store_true", help="figures of every finished run")
    p.add_argument("--only", help="comma-separated figure names, as for figures")
    p.set_defaults(func=cmd_report)
    p = sub.add_parser("fluctuations", help="Study 2's four-panel figure of one fluctuation window")
    from .fluctuations import add_arguments
    add_arguments(p)
    p.set_defaults(func=cmd_fluctuations)
    p = sub.add_parser("bench", help="figures, tables and report.md of hesscov bench records")
    p.add_argument("records", nargs="+", metavar="RECORD_OR_DIR",
                   help="a record (.json, or the .h5 beside it), the records.h5 of `hesscov bench collect`, "
                   "or a folder of records (searched recursively)")
    p.add_argument("--out", required=True, help="output folder (figures, tables/, report.md)")
    p.set_defaults(func=cmd_bench)
    return main


def main(argv=None):
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # numpy's BLAS: small matrices, shared cores
    _require()
    args = parser().parse_args(argv)
    from .reader import ArchiveError
    try:
        return args.func(args)
    except ArchiveError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
