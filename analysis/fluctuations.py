#!/usr/bin/env python3
"""Figures of a Study 2 fluctuation window (docs/fluctuations.md) from a HessCov archive.

    python3 analysis/fluctuations.py results/fluct_linear/fluct.h5 --out fluct.png
    python3 analysis/fluctuations.py results/sweeps/epoch-noise-smoke/index.h5 --run 0 --out run0.png

The archive may be a `hesscov fluct` file (group /fluct), a sweep run file (the last
/checkpoints/step_*/fluct) or a sweep index (--run N picks the run by its number). Four panels:
sigma2_theta, sigma2_v and tau against lambda (measured dots, the exact theory as a line), and the
direction-averaged noise autocorrelation with its 2-sigma band. Prints one line per direction
range with the measured/theory ratios. Uses only numpy, h5py and matplotlib (Debian packages).
"""
import argparse
import sys

import h5py
import numpy as np


def find_window(handle, run=None):
    """The fluct group of a fluct file, a run file, or (with run) a sweep index."""
    if "fluct" in handle:
        return handle["fluct"]
    if "summary" in handle and "runs" in handle:
        if run is None:
            raise SystemExit("a sweep index: choose a run with --run NUMBER")
        rows = handle["summary"][()]
        ids = [r["run_id"].decode() for r in rows]
        if not 0 <= run < len(ids):
            raise SystemExit(f"--run {run}: the index has runs 0..{len(ids) - 1}")
        handle = handle["runs"][ids[run]]
    if "checkpoints" not in handle:
        raise SystemExit("no fluctuation window in this archive (no /fluct, no /checkpoints)")
    windows = [g["fluct"] for g in handle["checkpoints"].values() if "fluct" in g]
    if not windows:
        raise SystemExit("no checkpoint of this run has a fluct analysis")
    return max(windows, key=lambda g: g.attrs["start_step"])


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
    window["lambda_cross"] = float(stats.attrs["lambda_cross"])
    window["lambda_cross_theory"] = float(stats.attrs["lambda_cross_theory"])
    return window


def plot_window(window, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

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
        axis.axhline(-1.0 / window["steps_per_epoch"], ls=":", c="gray", label=r"$-1/M$")
        axis.set_xlabel("lag h (steps)")
        axis.legend(fontsize=8)
    else:
        axis.text(0.5, 0.5, "no noise autocorrelation\n(fluct.stride != 1)", ha="center", transform=axis.transAxes)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive")
    parser.add_argument("--run", type=int, help="with a sweep index: the run's number")
    parser.add_argument("--out", default="fluctuations.png", help="the figure (PNG)")
    args = parser.parse_args(argv)
    with h5py.File(args.archive, "r") as handle:
        window = load_window(find_window(handle, args.run))
    for line in summary_lines(window):
        print(line)
    plot_window(window, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
