#!/usr/bin/env python3
"""Figures of a Study 2 fluctuation window (docs/fluctuations.md) from a HessCov archive.

    python3 -m analysis fluctuations results/fluct_linear/fluct.h5 --out fluct.png
    python3 -m analysis fluctuations results/sweeps/epoch-noise-smoke/index.h5 --run 0 --out run0.png
    python3 analysis/fluctuations.py ARCHIVE [--run N] [--out fig.png]      (the same, as a script)

The archive may be a `hesscov fluct` file (group /fluct), a sweep run file (the last
/checkpoints/step_*/fluct) or a sweep index (--run N picks the run by its number, or give its id).
Four panels: sigma2_theta, sigma2_v and tau against lambda (measured dots, the exact theory as a
line), and the direction-averaged noise autocorrelation with its 2-sigma band. Prints one line per
direction range with the measured/theory ratios. Uses only numpy, h5py and matplotlib.
"""
import sys

if __name__ == "__main__" and not __package__:
    # run as a file: import the package from the repository root instead of this folder
    import os
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    sys.path.insert(0, os.path.dirname(here))
    try:
        from analysis.fluctuations import main as _main
    except ImportError as _error:
        sys.exit(f"error: {_error}: the analysis needs numpy, h5py and matplotlib (Debian's python3-numpy, "
                 f"-h5py, -matplotlib; use /usr/bin/python3 where another Python comes first on the PATH)")
    sys.exit(_main())

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from .reader import ArchiveError, MissingData, open_sweep  # noqa: E402


def find_window(sweep, run=None):
    """The fluct group of a fluct file, a run file, or (with run) a sweep index."""
    if sweep.format == "hesscov-index":
        if run is None:
            raise ArchiveError(f"{sweep.path}: a sweep index: choose a run with --run NUMBER")
        chosen = sweep.find(run)
    else:
        chosen = sweep.entries[0].run
    try:
        return chosen.point("fluct").fluct
    except MissingData as error:
        raise MissingData(f"no fluctuation window in this archive ({error})") from error


def load_window(group):
    """Eigenvalues, measured statistics and theory of a window, as numpy arrays."""
    stats = group["stats"]
    window = {"lambda": group["eig/hessian/largest/values"][()]}
    for name in ("sigma2_theta", "sigma2_v", "tau"):
        window[name] = stats[name][()]
        window[name + "_theory"] = stats[name + "_theory"][()] if name + "_theory" in stats else None
    window["rho_mean"] = stats["rho_mean"][()] if "rho_mean" in stats else None
    window["rho_band"] = stats["rho_band"][()] if "rho_band" in stats else None
    window["steps_per_epoch"] = int(group.attrs["steps_per_epoch"])
    window["sampling"] = group.attrs["sampling"].decode() if "sampling" in group.attrs else "epoch"
    window["lambda_cross"] = float(stats.attrs["lambda_cross"])
    window["lambda_cross_theory"] = float(stats.attrs["lambda_cross_theory"])
    return window


def plot_window(window, out, provenance=None):
    from . import figures
    plt = figures.plt

    lam = window["lambda"]
    fig, axes = plt.subplots(2, 2, figsize=(10, 8))
    labels = {"sigma2_theta": r"$\sigma^2_\theta$", "sigma2_v": r"$\sigma^2_v$", "tau": r"$\tau$ (steps)"}
    for axis, name in zip(axes.flat[:3], ("sigma2_theta", "sigma2_v", "tau")):
        axis.loglog(lam, window[name], "o", ms=3, label="measured")
        if window[name + "_theory"] is not None:
            order = np.argsort(lam)
            axis.loglog(lam[order], window[name + "_theory"][order], "-", label="exact theory")
        axis.axvline(window["lambda_cross_theory"], ls=":", c="gray", label=r"$\lambda_{cross}$ theory")
        axis.set_xlabel(r"$\lambda$")
        axis.set_ylabel(labels[name])
        axis.legend(fontsize=8)
    axis = axes.flat[3]
    if window["rho_mean"] is not None:
        lags = np.arange(len(window["rho_mean"]))
        axis.plot(lags[1:], window["rho_mean"][1:], "-", label=r"$\bar\rho(h)$")
        band = window["rho_band"][1:]
        axis.fill_between(lags[1:], window["rho_mean"][1:] - band, window["rho_mean"][1:] + band, alpha=0.3)
        M = window["steps_per_epoch"]
        axis.plot(lags[1:], figures.rho_theory(lags[1:], M, window["sampling"]), "--", c="C3",
                  label=f"theory ({window['sampling']} sampling)")
        axis.axhline(-1.0 / M, ls=":", c="gray", label=r"$-1/M$")
        axis.set_xlabel("lag h (steps)")
        axis.legend(fontsize=8)
    else:
        axis.text(0.5, 0.5, "no noise autocorrelation\n(fluct.stride != 1)", ha="center", transform=axis.transAxes)
    title = "Fluctuation window: measured vs exact theory"
    if provenance is None:
        fig.tight_layout()
        fig.savefig(out, dpi=120)
        plt.close(fig)
        return
    figures.finish(fig, provenance, title)
    meta = provenance.pdf_metadata(title) if str(out).lower().endswith(".pdf") else provenance.png_metadata(title)
    fig.savefig(out, dpi=120, metadata=meta)
    plt.close(fig)


def summary_lines(window, parts=4):
    """Median measured/theory ratios over `parts` ranges of directions, fastest first."""
    lines = []
    if window["sigma2_v_theory"] is None:
        return ["no theory (the window recorded no noise: fluct.stride = 0)"]
    ranges = np.array_split(np.arange(len(window["lambda"])), min(parts, len(window["lambda"])))
    for r in ranges:
        ratio_v = np.nanmedian(window["sigma2_v"][r] / window["sigma2_v_theory"][r])
        ratio_t = np.nanmedian(window["sigma2_theta"][r] / window["sigma2_theta_theory"][r])
        lines.append(f"directions {r[0] + 1}-{r[-1] + 1} (lambda {window['lambda'][r[-1]]:.4g}..{window['lambda'][r[0]]:.4g}): "
                     f"sigma2_v/theory {ratio_v:.4f}  sigma2_theta/theory {ratio_t:.4f}")
    return lines


def add_arguments(parser):
    parser.add_argument("archive", help="a hesscov fluct file, a sweep run file or a sweep index")
    parser.add_argument("--run", help="with a sweep index: the run's number (or its id)")
    parser.add_argument("--out", default="fluctuations.png", help="the figure (PNG, or PDF by its suffix)")


def run(args):
    from .figures import Provenance
    with open_sweep(args.archive) as sweep:
        group = find_window(sweep, args.run)
        window = load_window(group)
        chosen = sweep.find(args.run) if sweep.format == "hesscov-index" else sweep.entries[0].run
        provenance = Provenance(chosen.path, chosen.software, [chosen.run_id],
                                int(group.attrs.get("start_step", -1)), len(window["lambda"]),
                                sweep.path if sweep.format == "hesscov-index" else None)
        for line in summary_lines(window):
            print(line)
        plot_window(window, args.out, provenance)
    print(f"wrote {args.out}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except ArchiveError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
