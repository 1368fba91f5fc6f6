"""`python3 -m analysis figures`: every figure is made, is a valid non-empty PNG and PDF, and carries
its provenance (run ids, checkpoint step, k, archive path, hesscov version) in the file metadata;
axis labels carry the archive's units; the numbers drawn are the archive's."""
import os

import h5py
import numpy as np
import pytest

from conftest import analysis, check_figure_files

ALIGN_FIGURES = ("cv-heatmap", "correlation", "power-law", "per-sample", "suppression")


def run_files(index_path):
    with h5py.File(index_path, "r") as index:
        rows = index["summary"][()]
        return [(r["run_id"].decode(), int(index["runs"][r["run_id"].decode()].attrs["number"]),
                 os.path.join(os.path.dirname(index_path), r["file"].decode()),
                 index["runs"][r["run_id"].decode()].attrs["software"].decode()) for r in rows]


@pytest.fixture(scope="module")
def curvature(sweeps):
    return sweeps.index("curvature")


def test_every_figure_of_an_align_and_eig_run_with_its_provenance(curvature, tmp_path):
    """figures RUN_FILE: every per-run figure (the sweep-level trace is in test_report)."""
    index = curvature
    runs = run_files(index)
    assert len(runs) == 2
    run_id, number, path, software = min(runs, key=lambda r: r[1])
    stdout = analysis("figures", path, "--out", tmp_path).stdout
    folder = str(tmp_path)
    with h5py.File(path, "r") as handle:
        steps = sorted(int(g.attrs["step"]) for g in handle["checkpoints"].values() if "align" in g)
    assert steps == [3, 6, 12]
    for name in ALIGN_FIGURES + ("spectrum",):
        paths = [os.path.join(folder, f"{name}.{fmt}") for fmt in ("png", "pdf")]
        for p in paths:
            assert os.path.exists(p), f"{name}: {p} not written; stdout:\n{stdout}"
        check_figure_files(paths, run_ids=[run_id], step=12, k=10, archive=path, software=software)
    trace = [os.path.join(folder, f"trace.{fmt}") for fmt in ("png", "pdf")]
    check_figure_files(trace, run_ids=[run_id], step="3, 6, 12", archive=path, software=software)
    for p in [os.path.join(folder, f"{n}.{fmt}") for n in ALIGN_FIGURES + ("spectrum", "trace") for fmt in ("png", "pdf")]:
        assert f"wrote {p}" in stdout


def test_one_run_by_number_and_step(curvature, tmp_path):
    index = curvature
    runs = run_files(index)
    run_id, number, path, software = max(runs, key=lambda r: r[1])
    analysis("figures", index, "--run", number, "--step", 6, "--only", "cv-heatmap,power-law", "--out", tmp_path)
    folder = tmp_path / run_id
    assert sorted(os.listdir(folder)) == ["cv-heatmap.pdf", "cv-heatmap.png", "power-law.pdf", "power-law.png"]
    check_figure_files([str(folder / "cv-heatmap.png"), str(folder / "power-law.pdf")],
                       run_ids=[run_id], step=6, k=10, archive=path)
    # a run id, or a prefix of it, selects the same run
    from analysis.reader import ArchiveError, open_sweep
    with open_sweep(index) as sweep:
        assert sweep.find(run_id[:6]).run_id == run_id == sweep.find(run_id).run_id == sweep.find(str(number)).run_id
        with pytest.raises(ArchiveError, match="no run 77"):
            sweep.find("77")
    bad = analysis("figures", index, "--only", "nonsense", "--out", tmp_path / "x", check=False)
    assert bad.returncode == 2 and "no such figure" in bad.stderr


def test_fluctuation_figures_of_a_sweep_run(sweeps, tmp_path):
    index = sweeps.index("fluct-linear")
    runs = run_files(index)
    with h5py.File(index, "r") as handle:
        by_config = {}
        for run_id, number, path, software in runs:
            config = handle["runs"][run_id]["config"].attrs
            key = (float(config["train.momentum"]), config["train.sampling"].decode())
            by_config.setdefault(key, []).append((int(config["seed"]), run_id, number, path, software))
    assert len(by_config) == 4
    seed, run_id, number, path, software = min(by_config[(0.5, "epoch")])
    analysis("figures", index, "--run", number, "--only", "noise-autocorrelation,fluctuations,spectrum",
             "--out", tmp_path)
    for name in ("noise-autocorrelation", "fluctuations", "spectrum"):
        check_figure_files([str(tmp_path / run_id / f"{name}.{fmt}") for fmt in ("png", "pdf")],
                           run_ids=[run_id], step=1000, k=4, archive=path, software=software)


def test_epoch_vs_replacement_comparison(sweeps, tmp_path):
    """epoch-noise-smoke has one replacement point, the base point: one comparison, of their first seeds."""
    index = sweeps.index("epoch-noise")
    run = analysis("figures", index, "--only", "sampling,trace", "--out", tmp_path)
    assert "the trace figure is skipped" in run.stdout       # no run records a trace: a note, not an error
    assert sorted(os.listdir(tmp_path / "sweep")) == ["sampling-1.pdf", "sampling-1.png"]
    with h5py.File(index, "r") as handle:
        pair = []
        for run_id in handle["runs"]:
            config = handle["runs"][run_id]["config"].attrs
            if (config["train.lr"], config["train.momentum"], config["train.batch_size"], config["seed"]) == \
                    (0.005, 0.9, 20, 1):
                pair.append(run_id)
    assert len(pair) == 2
    check_figure_files([str(tmp_path / "sweep" / f"sampling-1.{fmt}") for fmt in ("png", "pdf")],
                       run_ids=pair, step="30, 30", k=10, archive=index)


def test_standalone_job_files(binary, tmp_path):
    """`hesscov fluct` and `hesscov eig` files (no run metadata) give their figures too."""
    import subprocess
    from conftest import SOURCE
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    eig = tmp_path / "eig.h5"
    subprocess.run([binary, "eig", os.path.join(SOURCE, "inputs", "quickstart.yaml"), "data.per_class=10",
                    "train.epochs=1", "eig.nev=6", "eig.blocks=[fc2.weight]", "eig.slq_probes=2", "eig.slq_steps=12",
                    "eig.trace_probes=6", f"eig.output={eig}", f"train.output={tmp_path}/train"],
                   check=True, capture_output=True, env=env)
    analysis("figures", eig, "--out", tmp_path / "eig")
    check_figure_files([str(tmp_path / "eig" / f"spectrum.{fmt}") for fmt in ("png", "pdf")], k=6, archive=str(eig))
    check_figure_files([str(tmp_path / "eig" / f"trace.{fmt}") for fmt in ("png", "pdf")], archive=str(eig))


def test_labels_carry_the_archive_units_and_the_drawn_numbers_are_the_archives(sweeps, tmp_path, monkeypatch):
    import analysis.figures as figures
    from analysis.reader import open_sweep

    captured = {}
    original = figures.save

    def spy(fig, base, prov, title):
        captured[os.path.basename(base)] = [(a.get_xlabel(), a.get_ylabel(), [l.get_xydata() for l in a.lines])
                                            for a in fig.axes]
        return original(fig, base, prov, title)

    monkeypatch.setattr(figures, "save", spy)
    with open_sweep(sweeps.index("curvature")) as sweep:
        run = sweep.usable()[0]
        figures.run_figures(run, str(tmp_path), only={"power-law", "spectrum", "trace"})
        point = run.last("align")
        lam = point.align["lambda"][()]
        diag = point.align["covariance/diagonal"][()]
        slq = point.eig["hessian"]["slq"]
        nodes, weights = slq["nodes"][()], slq["weights"][()]
        probes = int(slq.attrs["probes"])
    xlabel, ylabel, lines = captured["power-law"][0]
    assert xlabel == "λ_i [loss/parameter²]" and ylabel == "C_V,ii [loss²/parameter²]", (xlabel, ylabel)
    assert captured["power-law"][1][1] == "C_AWD,ii [loss²/parameter⁴]"
    drawn = np.vstack([l for l in lines if len(l) == len(lam)])
    assert np.allclose(np.sort(drawn[:, 0]), np.sort(lam)) and np.allclose(np.sort(drawn[:, 1]), np.sort(diag))
    assert captured["spectrum"][0][1] == "λ_i [loss/parameter²]"
    assert captured["trace"][0][1].endswith("[loss/parameter²]")
    # the SLQ density: the Gaussian-broadened Gauss rules, integrating to 1
    grid, density, sigma = figures.slq_density(nodes, weights, probes)
    assert abs(weights.sum() - probes) < 1e-10
    assert abs(np.trapz(density, grid) - 1) < 1e-3
    x = grid[len(grid) // 3]
    expected = sum(w * np.exp(-0.5 * ((x - t) / sigma) ** 2) for t, w in zip(nodes, weights)) / \
        (probes * sigma * np.sqrt(2 * np.pi))
    assert abs(density[len(grid) // 3] - expected) < 1e-12 * max(1, expected)


def test_noise_autocorrelation_theory_curve():
    from analysis.figures import rho_theory
    M = 5
    h = np.arange(0, 12)
    epoch = rho_theory(h, M, "epoch")
    assert np.allclose(epoch[1:5], [-(M - k) / (M * (M - 1)) for k in range(1, 5)])
    assert epoch[1] == pytest.approx(-1 / M) and np.all(epoch[5:] == 0) and epoch[0] == 0
    assert abs(epoch[1:M].sum() + 0.5) < 1e-12             # Σ_{h=1}^{M} ρ(h) = −1/2
    assert np.all(rho_theory(h, M, "replacement") == 0)


def test_per_sample_correlation_is_that_of_the_row_sums(sweeps):
    """The scatter's y is the row sum of per_sample/alignment: its Pearson correlation with the leading
    eigenvalue is the archive's per_sample@total_alignment_correlation."""
    with h5py.File(sweeps.index("curvature"), "r") as index:
        for run_id in index["runs"]:
            for point in index["runs"][run_id]["checkpoints"].values():
                group = point["align/per_sample"]
                total = group["alignment"][()].sum(axis=1)
                r = np.corrcoef(group["leading"][()], total)[0, 1]
                assert abs(r - group.attrs["total_alignment_correlation"]) < 1e-10


def test_trace_over_training_of_the_track_analysis(sweeps, tmp_path):
    """Study 3's track analysis: the trace figure of a sweep draws every run's track/trace@value,
    and the series it draws are the archive's numbers at the archive's steps."""
    from analysis.figures import trace_series
    from analysis.reader import open_sweep
    index = sweeps.index("toy-valley")
    stdout = analysis("figures", index, "--out", tmp_path, "--only", "trace").stdout
    paths = [os.path.join(tmp_path, "sweep", f"trace.{fmt}") for fmt in ("png", "pdf")]
    for p in paths:
        assert os.path.exists(p) and os.path.getsize(p) > 0, stdout
    sweep = open_sweep(index)
    runs = sweep.usable()
    assert len(runs) == 16
    for run in runs:
        with h5py.File(run.path, "r") as handle:
            expected = sorted((int(g.attrs["step"]), float(g["track/trace"].attrs["value"]))
                              for g in handle["checkpoints"].values() if "track" in g)
        steps, values, errors, _ = trace_series(run)["hessian"]
        assert list(zip(steps, values)) == expected
        assert len(expected) == 6 and all(np.isfinite(errors))
