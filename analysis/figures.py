"""Figures of HessCov runs and sweeps, as PNG and PDF with their provenance.

Every figure carries its provenance twice: in a small caption printed on the figure, and in the
file's metadata (PNG text chunks `Title`, `Description`, `Run ids`, `Checkpoint step`, `k`,
`Archive`, `Hesscov version`; PDF info `Title`, `Subject`, `Keywords`), so a figure found on its
own says where it came from. Axis labels take their units from the datasets' `units` attributes
where the archive has them.

Per run (at the run's last measure point with the analysis, or --step):
    cv-heatmap        |C_V| in the Hessian eigenbasis, log colour scale (the arrowhead)
    correlation       ρ and ρ_rand (baseline draw 0) side by side on one colour scale
    power-law         C_V,ii vs λ_i and C_AWD,ii vs λ_i (log-log) with the fitted power laws
    spectrum          eigenvalues by index (log), and the SLQ density when recorded
    per-sample        leading per-sample eigenvalue vs total alignment
    suppression       original vs suppressed spectra and AWD diagonals
    trace             tr H over training (eig/<op>/trace@value at each checkpoint)
    noise-autocorrelation   ρ̄(h) with its 2σ band and the theory curve
    fluctuations      σ²_θ, σ²_v and τ vs λ with λ_cross
Per sweep:
    trace             tr H over training, every run
    sampling-<n>      epoch-based vs with-replacement sampling of otherwise equal configurations
"""
import os
import textwrap

import numpy as np

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import LogNorm  # noqa: E402

from . import __version__  # noqa: E402
from .reader import MissingData, attr, display, need, need_attr, units  # noqa: E402

FORMATS = ("png", "pdf")
DPI = 110


# ----------------------------------------------------------------------------- provenance and saving

def pretty_units(text):
    if not text:
        return text
    for plain, sup in (("^2", "²"), ("^3", "³"), ("^4", "⁴"), ("^-1", "⁻¹")):
        text = text.replace(plain, sup)
    return text


def label(name, unit=None):
    unit = pretty_units(unit)
    return f"{name} [{unit}]" if unit else name


def squared(unit):
    if not unit:
        return None
    return f"{unit}^2" if " " not in unit and "/" not in unit else f"({unit})^2"


class FigureMetadata:
    """PNG text chunks and PDF info of a figure from its provenance: a subclass gives fields() (a dict
    of name -> text) and one_line()."""

    def png_metadata(self, title):
        meta = {"Title": title, "Description": self.one_line(),
                "Software": f"hesscov analysis {__version__} (matplotlib {matplotlib.__version__})"}
        meta.update(self.fields())
        return meta

    def pdf_metadata(self, title):
        keywords = "; ".join(f"{k}={v}" for k, v in self.fields().items())
        return {"Title": title, "Subject": self.one_line(), "Keywords": keywords,
                "Creator": f"hesscov analysis {__version__} (matplotlib {matplotlib.__version__})"}


class Provenance(FigureMetadata):
    """Where a figure's data came from."""

    def __init__(self, archive, software, run_ids, step=None, k=None, index=None, note=""):
        self.archive = os.path.abspath(archive)
        self.software = software
        self.run_ids = list(run_ids)
        self.step = step
        self.k = k
        self.index = os.path.abspath(index) if index else None
        self.note = note

    @classmethod
    def of(cls, run, point=None, k=None, index=None):
        return cls(run.path, run.software, [run.run_id], None if point is None else point.step, k, index)

    def fields(self):
        step = "" if self.step is None else (", ".join(map(str, self.step)) if isinstance(self.step, list)
                                             else str(self.step))
        fields = {"Run ids": ", ".join(self.run_ids), "Checkpoint step": step,
                  "k": "" if self.k is None else str(self.k), "Archive": self.archive,
                  "Hesscov version": self.software}
        if self.index:
            fields["Index"] = self.index
        return fields

    def one_line(self):
        f = self.fields()
        text = (f"{f['Hesscov version']}; run {f['Run ids']}; step {f['Checkpoint step'] or '-'}; "
                f"k = {f['k'] or '-'}; archive {f['Archive']}")
        if self.index:
            text += f"; index {self.index}"
        return text + (f"; {self.note}" if self.note else "")

    def caption(self, width):
        f = self.fields()
        runs = f["Run ids"]
        head = f"{f['Hesscov version']}  |  step {f['Checkpoint step'] or '-'}  |  k = {f['k'] or '-'}  |  run {runs}"
        lines = textwrap.wrap(head, width) + textwrap.wrap(f"archive: {f['Archive']}", width, break_on_hyphens=False)
        if self.note:
            lines += textwrap.wrap(self.note, width)
        return "\n".join(lines)



def _plain_log_labels(digits):
    """Tick labels of a short log axis: `digits` × a power of ten, in plain digits."""
    def label(value, _position=None):
        if value <= 0:
            return ""
        exponent = np.floor(np.log10(value) + 1e-9)
        lead = value / 10 ** exponent
        if min(abs(lead - d) for d in digits) > 1e-6:
            return ""
        return f"{value:.3g}"
    return label


def _label_short_log_axes(fig):
    """Log axes spanning under two decades get plain labels (1, 2, 3, 5 × 10^n; every digit under one
    decade), where matplotlib would show one label or none."""
    from matplotlib.ticker import FuncFormatter
    for axis in fig.axes:
        for which, scale, limits in (("x", axis.get_xscale(), axis.get_xlim()), ("y", axis.get_yscale(), axis.get_ylim())):
            if scale != "log" or min(limits) <= 0:
                continue
            decades = np.log10(max(limits) / min(limits))
            if decades < 2:
                digits = range(1, 10) if decades < 0.8 else (1, 2, 3, 5) if decades < 1.4 else (1, 2, 5)
                target = axis.xaxis if which == "x" else axis.yaxis
                target.set_major_formatter(FuncFormatter(_plain_log_labels(digits)))
                target.set_minor_formatter(FuncFormatter(_plain_log_labels(digits)))


def finish(fig, prov, title):
    """Caption at the bottom, title at the top, layout that keeps them clear of the axes."""
    _label_short_log_axes(fig)
    width_in, height_in = fig.get_size_inches()
    chars = max(40, int(width_in * 72 / (6.2 * 0.55)))
    caption = prov.caption(chars)
    lines = caption.count("\n") + 1
    bottom = (lines * 7.5 + 6) / (height_in * 72)
    fig.text(0.006, 0.004, caption, fontsize=6, ha="left", va="bottom", color="0.3", family="monospace")
    fig.suptitle(title, fontsize=11)
    fig.tight_layout(rect=(0, bottom, 1, 1))


def save(fig, base, prov, title):
    """base.png and base.pdf with the provenance metadata; closes the figure; returns the paths."""
    finish(fig, prov, title)
    os.makedirs(os.path.dirname(os.path.abspath(base)), exist_ok=True)
    paths = []
    for fmt in FORMATS:
        path = f"{base}.{fmt}"
        meta = prov.png_metadata(title) if fmt == "png" else prov.pdf_metadata(title)
        fig.savefig(path, dpi=DPI, metadata=meta)
        paths.append(path)
    plt.close(fig)
    return paths


def _positive(x, y=None):
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x) & (x > 0)
    if y is not None:
        y = np.asarray(y, dtype=float)
        ok &= np.isfinite(y) & (y > 0)
    return ok


def _nothing(axis, text):
    axis.text(0.5, 0.5, text, ha="center", va="center", transform=axis.transAxes, fontsize=9, color="0.4")
    axis.set_xticks([])
    axis.set_yticks([])


# ----------------------------------------------------------------------------- Study 1 (align)

def _align(point, what):
    if point is None or point.align is None:
        raise MissingData(f"no align analysis (needed for {what})")
    return point.align


def fig_cv_heatmap(run, point, base, index=None):
    align = _align(point, "the C_V heatmap")
    matrix_ds = need(align, "covariance/matrix", "the C_V heatmap")
    matrix = np.abs(matrix_ds[()])
    k = matrix.shape[0]
    positive = matrix[matrix > 0]
    if positive.size == 0:
        raise MissingData(f"{run.path}: {matrix_ds.name} is zero everywhere (nothing to show on a log scale)")
    vmax = positive.max()
    vmin = max(positive.min(), vmax * 1e-8)
    fig, axis = plt.subplots(figsize=(6.4, 5.6))
    shown = np.where(matrix > 0, matrix, np.nan)
    image = axis.imshow(shown, norm=LogNorm(vmin=vmin, vmax=vmax), cmap="viridis", interpolation="nearest",
                        extent=(0.5, k + 0.5, k + 0.5, 0.5))
    axis.set_xlabel("eigenpair j (λ descending)")
    axis.set_ylabel("eigenpair i (λ descending)")
    bar = fig.colorbar(image, ax=axis, shrink=0.9)
    bar.set_label(label("|C_V,ij|", units(matrix_ds)))
    title = f"|C_V| in the Hessian eigenbasis (k = {k}, step {point.step})"
    return save(fig, base, Provenance.of(run, point, k, index), title)


def fig_correlation(run, point, base, index=None):
    align = _align(point, "the ρ / ρ_rand heatmaps")
    rho_ds = need(align, "covariance/correlation", "the ρ heatmap")
    rand_ds = need(align, "baseline/draw_0/correlation", "the ρ_rand heatmap (baseline draw 0)")
    rho, rand = rho_ds[()], rand_ds[()]
    k = rho.shape[0]
    fig, axes = plt.subplots(1, 3, figsize=(11.5, 5.2), gridspec_kw={"width_ratios": [1, 1, 0.05]})
    m = attr(align["covariance"], "m")
    m_rand = attr(align["baseline/draw_0"], "m")
    for axis, values, name, mean in ((axes[0], rho, "ρ in the Hessian eigenbasis", m),
                                     (axes[1], rand, "ρ_rand in a Haar frame (draw 0)", m_rand)):
        image = axis.imshow(values, vmin=-1, vmax=1, cmap="RdBu_r", interpolation="nearest",
                            extent=(0.5, k + 0.5, k + 0.5, 0.5))
        axis.set_title(f"{name}: m = {mean:.4g}" if mean is not None else name, fontsize=10)
        axis.set_xlabel("index j")
        axis.set_ylabel("index i")
    bar = fig.colorbar(image, cax=axes[2])
    bar.set_label("correlation ρ_ij")
    title = f"Noise correlation in the eigenbasis vs a random frame (k = {k}, step {point.step})"
    return save(fig, base, Provenance.of(run, point, k, index), title)


def fit_window(group, k):
    """The eigenpair indices of a recorded fit: [fit_skip, fit_skip + gamma_points + gamma_skipped)."""
    skip = attr(group, "fit_skip", 0) or 0
    points = attr(group, "gamma_points", k) or 0
    skipped = attr(group, "gamma_skipped", 0) or 0
    return int(skip), int(min(k, skip + points + skipped))


def _power_panel(axis, lam, diag, group, lam_unit, diag_unit, name, skip=None):
    k = len(lam)
    first, last = fit_window(group, k)
    if skip is not None:
        first, last = skip, min(k, skip + (last - fit_window(group, k)[0]))
    window = np.zeros(k, bool)
    window[first:last] = True
    ok = _positive(lam, diag)
    inside = ok & window
    if (ok & ~window).any():
        axis.loglog(lam[ok & ~window], diag[ok & ~window], "o", ms=3, color="0.6", label="outside the fit window")
    axis.loglog(lam[inside], diag[inside], "o", ms=3.5, color="C0", label=f"fit window {first + 1}..{last}")
    gamma = attr(group, "gamma")
    intercept = attr(group, "gamma_intercept")
    if gamma is not None and intercept is not None and np.isfinite(gamma) and inside.any():
        grid = np.geomspace(lam[inside].min(), lam[inside].max(), 50)
        se = attr(group, "gamma_standard_error", float("nan"))
        r2 = attr(group, "gamma_r_squared", float("nan"))
        axis.loglog(grid, np.exp(intercept) * grid ** gamma, "-", color="C3",
                    label=f"γ = {gamma:.4g} ± {se:.2g} (R² {r2:.3f})")
    dropped = int((~ok).sum())
    axis.set_xlabel(label("λ_i", lam_unit))
    axis.set_ylabel(label(name, diag_unit))
    axis.legend(fontsize=8, title=f"{dropped} pairs with λ ≤ 0 or value ≤ 0 not shown" if dropped else None,
                title_fontsize=7)


def fig_power_law(run, point, base, index=None):
    align = _align(point, "the power-law figure")
    lam_ds = need(align, "lambda", "the power-law figure")
    diag_ds = need(align, "covariance/diagonal", "the power-law figure")
    lam = lam_ds[()]
    has_awd = "awd/diagonal" in align
    fig, axes = plt.subplots(1, 2 if has_awd else 1, figsize=(11 if has_awd else 6.4, 4.8), squeeze=False)
    _power_panel(axes[0, 0], lam, diag_ds[()], align["covariance"], units(lam_ds), units(diag_ds), "C_V,ii")
    axes[0, 0].set_title("noise covariance diagonal", fontsize=10)
    if has_awd:
        awd_ds = align["awd/diagonal"]
        skip = attr(align["covariance"], "fit_skip", 0)
        _power_panel(axes[0, 1], lam, awd_ds[()], align["awd"], units(lam_ds), units(awd_ds), "C_AWD,ii", skip=skip)
        axes[0, 1].set_title("AWD matrix diagonal", fontsize=10)
    title = f"Power laws in the Hessian eigenbasis: ln C = γ ln λ + b (k = {len(lam)}, step {point.step})"
    return save(fig, base, Provenance.of(run, point, len(lam), index), title)


def slq_density(nodes, weights, probes=None, points=600, sigma=None):
    """Gaussian-broadened sum of the Gauss rules: (grid, density, σ); the density integrates to 1."""
    nodes = np.asarray(nodes, float)
    weights = np.asarray(weights, float)
    probes = probes or max(1, int(round(weights.sum())))
    span = nodes.max() - nodes.min()
    sigma = sigma or (0.01 * span if span > 0 else max(abs(nodes.max()), 1.0) * 1e-3)
    grid = np.linspace(nodes.min() - 6 * sigma, nodes.max() + 6 * sigma, points)
    density = (weights[None, :] * np.exp(-0.5 * ((grid[:, None] - nodes[None, :]) / sigma) ** 2)).sum(axis=1)
    density /= probes * sigma * np.sqrt(2 * np.pi)
    return grid, density, sigma


def spectrum_sources(point):
    """[(label, values dataset)] of the eigenvalues recorded at a point, and the SLQ groups."""
    sources, slq = [], []
    for op, group in point.eig.items():
        if "largest/values" in group:
            sources.append((f"eig/{op} (largest)", group["largest/values"]))
        if "slq/nodes" in group and "slq/weights" in group:
            slq.append((op, group["slq"]))
    if "hessian" not in point.eig or "largest/values" not in point.eig["hessian"]:
        if point.align is not None and "lambda" in point.align:
            sources.append(("align/lambda (Hessian)", point.align["lambda"]))
        elif point.fluct is not None and "eig/hessian/largest/values" in point.fluct:
            sources.append(("fluct eigenbasis (Hessian)", point.fluct["eig/hessian/largest/values"]))
    return sources, slq


def fig_spectrum(run, point, base, index=None):
    sources, slq = spectrum_sources(point)
    if not sources:
        raise MissingData(f"{run.path}: no eigenvalues at step {point.step} (eig/<op>/largest/values, "
                          f"align/lambda or fluct/eig) (needed for the spectrum figure)")
    fig, axes = plt.subplots(1, 2 if slq else 1, figsize=(11 if slq else 6.4, 4.8), squeeze=False)
    axis = axes[0, 0]
    k = 0
    notes = []
    for i, (name, ds) in enumerate(sources):
        values = ds[()]
        k = max(k, len(values))
        idx = np.arange(1, len(values) + 1)
        ok = _positive(values)
        axis.semilogy(idx[ok], values[ok], "o-" if len(values) <= 60 else "-", ms=3, lw=1, label=name)
        if (~ok).any():
            notes.append(f"{int((~ok).sum())} non-positive eigenvalues of {name} not shown")
        unit = units(ds)
    axis.set_xlabel("index i")
    axis.set_ylabel(label("λ_i", unit))
    axis.set_title("top eigenvalues", fontsize=10)
    axis.legend(fontsize=8, title="; ".join(notes) if notes else None, title_fontsize=7)
    if slq:
        axis = axes[0, 1]
        for op, group in slq:
            nodes, weights = group["nodes"][()], group["weights"][()]
            probes = attr(group, "probes")
            grid, density, sigma = slq_density(nodes, weights, probes)
            axis.semilogy(grid, density, "-", label=f"{op}: {probes} probes, {len(nodes)} nodes, σ = {sigma:.2g}")
            axis.set_ylim(density.max() * 1e-7, density.max() * 3)
            lam_unit = units(point.eig[op]["largest/values"]) if "largest/values" in point.eig[op] else None
            if "largest/values" in point.eig[op]:
                top = point.eig[op]["largest/values"][()]
                axis.vlines(top, 0, 0.06, transform=axis.get_xaxis_transform(), color="C3", lw=1,
                            label=f"top {len(top)} eigenvalues (SLEPc)")
        axis.set_xlabel(label("λ", lam_unit))
        axis.set_ylabel(label("density of states", f"1/({lam_unit})" if lam_unit else None))
        axis.set_title("SLQ spectral density (Gaussian-broadened Gauss rules)", fontsize=10)
        axis.legend(fontsize=8, loc="upper right")
    title = f"Hessian spectrum at step {point.step}"
    return save(fig, base, Provenance.of(run, point, k, index), title)


def fig_per_sample(run, point, base, index=None):
    align = _align(point, "the per-sample figure")
    leading_ds = need(align, "per_sample/leading", "the per-sample scatter")
    alignment_ds = need(align, "per_sample/alignment", "the per-sample scatter")
    leading = leading_ds[()]
    total = alignment_ds[()].sum(axis=1)
    fig, axis = plt.subplots(figsize=(6.4, 4.8))
    axis.plot(leading, total, "o", ms=4, alpha=0.7)
    ok = np.isfinite(leading) & np.isfinite(total)
    recorded = attr(align["per_sample"], "total_alignment_correlation", float("nan"))
    if ok.sum() > 2 and np.std(leading[ok]) > 0 and np.std(total[ok]) > 0:
        r = np.corrcoef(leading[ok], total[ok])[0, 1]
    else:
        r = float("nan")
    if _positive(leading).all() and leading.max() > 20 * leading.min():
        axis.set_xscale("log")
    k = alignment_ds.shape[1]
    axis.set_xlabel(label("leading per-sample eigenvalue λ_n¹", units(leading_ds)))
    axis.set_ylabel(label(f"total alignment Σ_i (u_n¹·v_i)², i ≤ {k}", units(alignment_ds)))
    axis.set_title(f"{len(leading)} samples: corr = {recorded:.4g} (recorded), {r:.4g} (recomputed)", fontsize=10)
    title = f"Per-sample Hessians: magnitude vs alignment (step {point.step})"
    return save(fig, base, Provenance.of(run, point, k, index), title)


def fig_suppression(run, point, base, index=None):
    align = _align(point, "the suppression figure")
    group = need(align, "suppression", "the suppression figure (align.suppression: true)")
    original = need(group, "original_spectrum", "the suppression figure")[()]
    suppressed = need(group, "suppressed_spectrum", "the suppression figure")[()]
    awd_original = need(group, "original_awd_diagonal", "the suppression figure")[()]
    awd_suppressed = need(group, "suppressed_awd_diagonal", "the suppression figure")[()]
    lam_unit = units(group["original_spectrum"])
    awd_unit = units(group["original_awd_diagonal"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8))
    floor = 1e-12 * max(np.nanmax(np.abs(original)), np.nanmax(np.abs(suppressed)))
    for values, name, color in ((original, "original mean H_n", "C0"), (suppressed, "suppressed mean H_n'", "C1")):
        idx = np.arange(1, len(values) + 1)
        ok = values > floor
        axes[0].semilogy(idx[ok], values[ok], "-", color=color, label=f"{name} ({ok.sum()} above 1e-12·max)")
    axes[0].set_xlabel("index i")
    axes[0].set_ylabel(label("eigenvalue", lam_unit))
    axes[0].set_title("rebuilt spectra", fontsize=10)
    axes[0].legend(fontsize=8)
    for lam, diag, name, key, color in ((original, awd_original, "original", "gamma_original", "C0"),
                                        (suppressed, awd_suppressed, "suppressed", "gamma_suppressed", "C1")):
        top = int((attr(group, key + "_points", 0) or 0) + (attr(group, key + "_skipped", 0) or 0)) or len(lam)
        ok = (lam > floor) & (diag > 0)
        head = np.zeros(len(lam), bool)
        head[:top] = True
        axes[1].loglog(lam[ok & ~head], diag[ok & ~head], ".", ms=2, color=color, alpha=0.35)
        axes[1].loglog(lam[ok & head], diag[ok & head], "o", ms=3.5, color=color, label=f"{name}: top {top}")
        gamma, intercept = attr(group, key), attr(group, key + "_intercept")
        if gamma is not None and intercept is not None and (ok & head).any():
            grid = np.geomspace(lam[ok & head].min(), lam[ok & head].max(), 40)
            axes[1].loglog(grid, np.exp(intercept) * grid ** gamma, "-", color=color, lw=1.2,
                           label=f"γ_{name} = {gamma:.4g}")
    axes[1].set_xlabel(label("eigenvalue λ_i", lam_unit))
    axes[1].set_ylabel(label("AWD diagonal", awd_unit))
    axes[1].set_title("AWD diagonals in the rebuilt eigenbases", fontsize=10)
    axes[1].legend(fontsize=8)
    stiff = attr(group, "stiff_samples")
    threshold = attr(group, "threshold")
    title = (f"Suppression experiment: {stiff} stiff samples (λ_n¹ ≥ {threshold:.3g}), step {point.step}"
             if stiff is not None and threshold is not None else f"Suppression experiment, step {point.step}")
    k = attr(group, "gamma_original_points")
    return save(fig, base, Provenance.of(run, point, k, index), title)


# ----------------------------------------------------------------------------- trace over training

def _track_trace(point, series):
    """The track analysis's Hessian trace (track/trace@value, Study 3) of one point into `series`."""
    track = point.track
    if track is None or "trace" not in track or "value" not in track["trace"].attrs:
        return
    steps, values, errors, info = series.setdefault("hessian", ([], [], [], {}))
    info.setdefault("units", attr(track["trace"], "units", None))
    info["blocks"] = attr(track, "eig.blocks", info.get("blocks", ""))
    steps.append(point.step)
    values.append(attr(track["trace"], "value"))
    errors.append(attr(track["trace"], "standard_error", float("nan")))


def trace_series(run):
    """{operator: (steps, values, standard errors)} of eig/<op>/trace@value, and of track/trace@value
    (the Hessian's), over the run's checkpoints."""
    series = {}
    for point in run.points():
        _track_trace(point, series)
        for op, group in point.eig.items():
            if "trace" in group and "value" in group["trace"].attrs:
                steps, values, errors, info = series.setdefault(op, ([], [], [], {}))
                if "largest/values" in group:
                    info["units"] = units(group["largest/values"])
                info["blocks"] = attr(group, "eig.blocks", "")
                steps.append(point.step)
                values.append(attr(group["trace"], "value"))
                errors.append(attr(group["trace"], "standard_error", float("nan")))
    return series


def fig_trace(runs, base, archive, software, index=None, labels=None):
    """tr(operator) vs step for one or several runs; None when no run recorded a trace."""
    found = [(run, trace_series(run)) for run in runs]
    found = [(run, series) for run, series in found if series]
    if not found:
        return None
    fig, axis = plt.subplots(figsize=(7.2, 4.8))
    steps_all = set()
    unit, blocks = None, ""
    # Runs of one configuration (labels "<configuration>, seed <s>") share a colour and one legend entry.
    groups, colours = {}, {}
    for run, _ in found:
        name = (labels or {}).get(run.run_id, run.run_id)
        groups.setdefault(name.rsplit(", seed ", 1)[0] if ", seed " in name else name, []).append(run.run_id)
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (group, members) in enumerate(groups.items()):
        for run_id in members:
            colours[run_id] = (cycle[i % len(cycle)], group, run_id == members[0], len(members))
    for run, series in found:
        colour, group, first, count = colours[run.run_id]
        for op, (steps, values, errors, info) in series.items():
            unit = info.get("units") or unit
            blocks = info.get("blocks") or blocks
            errors = np.where(np.isfinite(errors), errors, 0)
            if count > 1:
                text = f"{group} ({count} seeds): tr {op}" if first else None
            else:
                name = (labels or {}).get(run.run_id, run.run_id)
                text = f"{name}: tr {op}" if len(series) > 1 or len(found) > 1 else f"tr {op}"
            axis.errorbar(steps, values, yerr=errors, fmt="o-", ms=3, capsize=2, lw=1, color=colour,
                          alpha=0.8 if count > 1 else 1.0, label=text)
            steps_all.update(steps)
    axis.set_xlabel("SGD step")
    positive = [step for step in steps_all if step > 0]
    if positive and max(positive) >= 100 * min(positive):  # log-spaced measure points
        if 0 in steps_all:
            axis.set_xscale("symlog", linthresh=1)
        else:
            axis.set_xscale("log")
    where = f" on {blocks}" if blocks and blocks != "[]" else ""
    axis.set_ylabel(label(f"trace{where} (Hutch++, ± standard error)", unit))
    axis.legend(fontsize=7, ncol=1 + len(groups) // 8)
    ops = sorted({op for _, s in found for op in s})
    names = {"hessian": "Hessian", "ggn": "GGN", "covariance": "noise covariance C"}
    title = f"Trace of the {'/'.join(names.get(op, op) for op in ops)} over training"
    prov = Provenance(archive, software, [run.run_id for run, _ in found], sorted(steps_all), None, index)
    return save(fig, base, prov, title)


# ----------------------------------------------------------------------------- Study 2 (fluct)

def _fluct(point, what):
    if point is None or point.fluct is None:
        raise MissingData(f"no fluct analysis (needed for {what})")
    return point.fluct


def rho_theory(lags, M, sampling):
    """ρ(h) of the noise: −(M−h)/(M(M−1)) for 1 ≤ h < M, 0 beyond (epoch sampling); 0 with replacement."""
    lags = np.asarray(lags, float)
    if sampling != "epoch" or M < 2:
        return np.zeros_like(lags)
    return np.where((lags >= 1) & (lags < M), -(M - lags) / (M * (M - 1.0)), 0.0)


def _rho_panel(axis, fluct, what):
    stats = need(fluct, "stats", what)
    mean = need(stats, "rho_mean", what + " (fluct.stride: 1)")[()]
    band = need(stats, "rho_band", what)[()]
    M = int(need_attr(fluct, "steps_per_epoch", what))
    sampling = attr(fluct, "sampling", "epoch")
    lags = np.arange(len(mean))
    h = lags[1:]
    axis.fill_between(h, mean[1:] - band[1:], mean[1:] + band[1:], color="C0", alpha=0.25, label="2σ band")
    axis.plot(h, mean[1:], "-", color="C0", lw=1.2, label="ρ̄(h) over directions")
    fine = np.linspace(1, max(h.max(), 1), 400)
    theory_label = ("theory: −(M−h)/(M(M−1)), 0 for h ≥ M" if sampling == "epoch" else "theory: 0 (independent batches)")
    axis.plot(fine, rho_theory(fine, M, sampling), "--", color="C3", lw=1.2, label=theory_label)
    for epoch in range(M, int(h.max()) + 1, M):
        axis.axvline(epoch, color="0.8", lw=0.6, zorder=0)
    axis.axhline(0, color="0.5", lw=0.6)
    axis.set_xlabel("lag h (steps)")
    axis.set_ylabel("noise autocorrelation ρ(h)")
    axis.set_title(f"{sampling} sampling, M = {M}, {attr(stats, 'noise_directions', '?')} directions; "
                   f"ε̄ = {attr(stats, 'white_fraction_mean', float('nan')):.3g}", fontsize=9)
    axis.legend(fontsize=7)
    return M


def fig_noise_autocorrelation(run, point, base, index=None):
    fluct = _fluct(point, "the noise autocorrelation")
    fig, axis = plt.subplots(figsize=(6.8, 4.8))
    _rho_panel(axis, fluct, "the noise autocorrelation")
    k = len(fluct["stats/sigma2_theta"]) if "stats/sigma2_theta" in fluct else None
    title = f"Noise autocorrelation averaged over eigendirections (window from step {point.step})"
    return save(fig, base, Provenance.of(run, point, k, index), title)


FLUCT_PANELS = (("sigma2_theta", "σ²_θ (weight variance)", "theta"),
                ("sigma2_v", "σ²_v (velocity variance)", "velocity"),
                ("tau", "τ = 2σ²_θ/σ²_v (correlation time)", None))


def _fluct_panels(axes, fluct, what, panels=FLUCT_PANELS):
    stats = need(fluct, "stats", what)
    lam_ds = need(fluct, "eig/hessian/largest/values", what)
    lam = lam_ds[()]
    lam_unit = units(lam_ds)
    cross_theory = attr(stats, "lambda_cross_theory", float("nan"))
    cross = attr(stats, "lambda_cross", float("nan"))
    epoch_note = "" if attr(fluct, "sampling", "epoch") == "epoch" else " (epoch-sampling prediction)"
    ok_lam = _positive(lam)
    lo, hi = (lam[ok_lam].min(), lam[ok_lam].max()) if ok_lam.any() else (1e-3, 1)
    for axis, (name, title, source) in zip(axes, panels):
        measured = need(stats, name, what)[()]
        unit = "steps" if name == "tau" else None
        if source and source in fluct:
            unit = squared(units(fluct[source]))
        ok = _positive(lam, measured)
        axis.loglog(lam[ok], measured[ok], "o", ms=3.5, label="measured")
        if name + "_theory" in stats:
            theory = stats[name + "_theory"][()]
            good = _positive(lam, theory)
            axis.loglog(lam[good], theory[good], "x", ms=5, color="C3",
                        label="exact theory (each direction's noise variance)")
        if np.isfinite(cross_theory) and cross_theory > 0:
            axis.axvline(cross_theory, ls=":", color="0.3", label=f"λ_cross theory = {cross_theory:.3g}{epoch_note}")
        if np.isfinite(cross) and cross > 0:
            if lo / 30 <= cross <= hi * 30:
                axis.axvline(cross, ls="--", color="C2", label=f"λ_cross measured = {cross:.3g}")
            else:
                axis.plot([], [], ls="--", color="C2", label=f"λ_cross measured = {cross:.3g} (off the plot)")
        if name == "tau":
            for key, style, text in (("tau_sgd_theory", ":", "τ_SGD theory"), ("tau_sgd", "--", "τ_SGD measured")):
                value = attr(stats, key, float("nan"))
                if np.isfinite(value) and value > 0:
                    axis.axhline(value, ls=style, color="C4" if "theory" in key else "C1", lw=0.9,
                                 label=f"{text} = {value:.3g}" + (epoch_note if "theory" in key else ""))
        axis.set_xlabel(label("λ_i", lam_unit))
        axis.set_ylabel(label(title.split(" (")[0], unit))
        axis.set_title(title, fontsize=9)
        axis.legend(fontsize=6.5)
    return len(lam)


def fig_fluctuations(run, point, base, index=None):
    fluct = _fluct(point, "the fluctuation figure")
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.6))
    k = _fluct_panels(axes, fluct, "the fluctuation figure")
    sampling = attr(fluct, "sampling", "?")
    title = (f"Weight and velocity fluctuations along {k} Hessian eigendirections "
             f"({sampling} sampling, η = {attr(fluct, 'learning_rate', float('nan')):.3g}, "
             f"β = {attr(fluct, 'momentum', float('nan')):.3g}, S = {attr(fluct, 'batch_size', '?')}, "
             f"window from step {point.step})")
    return save(fig, base, Provenance.of(run, point, k, index), title)


def sampling_pairs(configurations):
    """[(epoch configuration, replacement configuration)] that differ only in train.sampling."""
    pairs = []
    for a in configurations:
        if a.values.get("train.sampling", display(a.runs[0].config.get("train.sampling"))) != "epoch":
            continue
        key_a = tuple((k, v) for k, v in a.key if k != "train.sampling")
        for b in configurations:
            if b is a or display(b.runs[0].config.get("train.sampling")) != "replacement":
                continue
            if tuple((k, v) for k, v in b.key if k != "train.sampling") == key_a:
                pairs.append((a, b))
    return pairs


def fig_sampling(pair, base, archive, software, index=None):
    """Epoch-based vs with-replacement sampling side by side (first seed of each): ρ̄(h), σ²_θ and τ."""
    fig, axes = plt.subplots(3, 2, figsize=(12, 12), sharey="row")
    runs, steps, k = [], [], None
    for column, config in enumerate(pair):
        run = config.runs[0]
        point = run.point("fluct")
        fluct = point.fluct
        runs.append(run.run_id)
        steps.append(point.step)
        _rho_panel(axes[0, column], fluct, "the sampling comparison")
        k = _fluct_panels([axes[1, column], axes[2, column]], fluct, "the sampling comparison",
                          panels=(FLUCT_PANELS[0], FLUCT_PANELS[2]))
        for axis in axes[1:, column]:
            axis.set_title(f"{attr(fluct, 'sampling', '?')} sampling, seed {run.seed}: " + axis.get_title(),
                           fontsize=9)
    for row in axes[1:]:      # one λ range for both columns
        lo = min(a.get_xlim()[0] for a in row)
        hi = max(a.get_xlim()[1] for a in row)
        for a in row:
            a.set_xlim(lo, hi)
    others = ", ".join(f"{k_}={v}" for k_, v in pair[0].values.items() if k_ != "train.sampling")
    title = "Epoch-based vs with-replacement sampling" + (f" ({others})" if others else "")
    prov = Provenance(archive, software, runs, steps, k, index)
    return save(fig, base, prov, title)


# ----------------------------------------------------------------------------- drivers

RUN_FIGURES = (
    ("cv-heatmap", "align", fig_cv_heatmap, None),
    ("correlation", "align", fig_correlation, None),
    ("power-law", "align", fig_power_law, None),
    ("per-sample", "align", fig_per_sample, "per_sample"),
    ("suppression", "align", fig_suppression, "suppression"),
    ("noise-autocorrelation", "fluct", fig_noise_autocorrelation, "stats/rho_mean"),
    ("fluctuations", "fluct", fig_fluctuations, None),
)


RUN_FIGURE_NAMES = tuple(f[0] for f in RUN_FIGURES) + ("spectrum", "trace")
SWEEP_FIGURE_NAMES = ("trace", "sampling")


def wanted(name, only):
    """Whether figure `name` (e.g. sampling-2) is among `only` (None: all)."""
    return only is None or name in only or name.split("-")[0] in only and name.split("-")[-1].isdigit()


def run_figures(run, out, step=None, index=None, only=None):
    """Every figure the run's data allow (or those named in `only`), in out/;
    returns [(name, [paths], caption)], [(run id, note)]."""
    made, notes = [], []
    for name, analysis, function, requires in RUN_FIGURES:
        if not wanted(name, only):
            continue
        try:
            point = run.point(analysis, step)
        except MissingData:
            continue
        group = point.align if analysis == "align" else point.fluct
        if requires and requires not in group:
            where = group.name.split("/")[-1] + "/" + requires
            notes.append((run.run_id, f"no {name} figure: {where} not recorded"))
            continue
        try:
            paths = function(run, point, os.path.join(out, name), index)
            made.append((name, paths, f"{name}, step {point.step}"))
        except MissingData as error:
            notes.append((run.run_id, f"{name} figure skipped: {error}"))
    # the spectrum: at the chosen step, or the last point with any eigenvalues
    candidates = [p for p in run.points() if (step is None or p.step == step) and spectrum_sources(p)[0]]
    if candidates and wanted("spectrum", only):
        point = candidates[-1]
        try:
            made.append(("spectrum", fig_spectrum(run, point, os.path.join(out, "spectrum"), index),
                         f"spectrum, step {point.step}"))
        except MissingData as error:
            notes.append((run.run_id, f"spectrum figure skipped: {error}"))
    paths = fig_trace([run], os.path.join(out, "trace"), run.path, run.software, index) \
        if wanted("trace", only) else None
    if paths:
        made.append(("trace", paths, "trace over training"))
    return made, notes


def collapse_notes(notes):
    """[(run id, text)] as lines, one per distinct text with the runs it concerns."""
    order, runs = [], {}
    for run_id, text in notes:
        if text not in runs:
            order.append(text)
        runs.setdefault(text, []).append(run_id)
    return [f"{text} (run{'s' if len(runs[text]) > 1 else ''} {', '.join(runs[text])})" for text in order]


def sweep_figures(sweep, out, log=print, only=None):
    """The figures that combine runs: trace over training, epoch vs replacement sampling."""
    made, notes = [], []
    runs = sweep.usable()
    configurations = sweep.configurations(runs) if runs else []
    labels = {}
    for config in configurations:
        for run in config.runs:
            labels[run.run_id] = (config.label() + f", seed {run.seed}") if config.values else f"seed {run.seed}"
    paths = fig_trace(runs, os.path.join(out, "trace"), sweep.path, sweep.software,
                      labels=labels) if runs and wanted("trace", only) else None
    if paths:
        made.append(("trace", paths, "trace over training, every run"))
    elif wanted("trace", only):
        notes.append("no run records the Hessian trace (eig/<op>/trace@value at its checkpoints, "
                     "eig.trace_probes > 0 with measure.analyses: [eig]): the trace figure is skipped")
    fluct_configs = [c for c in configurations if c.runs[0].last("fluct") is not None]
    for i, pair in enumerate(sampling_pairs(fluct_configs) if wanted("sampling", only) else []):
        try:
            name = f"sampling-{i + 1}"
            made.append((name, fig_sampling(pair, os.path.join(out, name), sweep.path, sweep.software),
                         "epoch vs replacement: " + (", ".join(f"{k}={v}" for k, v in pair[0].values.items()
                                                               if k != "train.sampling") or "base point")))
        except MissingData as error:
            notes.append(f"sampling comparison skipped: {error}")
    for line in notes:
        log("note: " + line)
    return made, notes


def representatives(sweep, all_runs=False):
    """The runs whose figures are drawn: the first seed of every configuration, or every usable run."""
    runs = sweep.usable()
    if all_runs or not runs:
        return runs
    return [config.runs[0] for config in sweep.configurations(runs)]
