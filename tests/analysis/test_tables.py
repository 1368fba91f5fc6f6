"""`python3 -m analysis tables`: the Study 1 and Study 2 tables against a recomputation from the raw
datasets of the archives the smoke sweeps wrote (read here with h5py alone, not with the package).

γ and γ_AWD are refitted by least squares of ln C_ii on ln λ_i over the window the archive records
(covariance@fit_skip, @gamma_points, @gamma_skipped), m from covariance/correlation, m_rand from the
baseline draws, k_eff from the traces; the per-configuration mean ± std over seeds by numpy, the
configurations formed from each run's /config@canonical without its seed line."""
import csv
import math
import os

import h5py
import numpy as np
import pytest

from conftest import analysis


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def number(text):
    return float("nan") if text in ("", "nan") else float(text)


def close(a, b, rel=1e-9, abs_=1e-12):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= abs_ + rel * abs(b)


def runs_of(index_path):
    """(run id, root group) of every merged, completed run of an index, via h5py only."""
    index = h5py.File(index_path, "r")
    rows = index["summary"][()]
    out = []
    for row in rows:
        if row["archive"] == b"merged" and row["status"] == b"completed":
            out.append((row["run_id"].decode(), index["runs"][row["run_id"].decode()]))
    return index, out


def last_with(run, analysis):
    points = [g for g in run["checkpoints"].values() if analysis in g]
    return max(points, key=lambda g: g.attrs["step"])


def configuration(run):
    lines = run["config"].attrs["canonical"].decode().splitlines()
    return tuple(sorted(line for line in lines if not line.startswith("seed=")))


def refit(lam, diag, skip, points, skipped):
    window = slice(skip, skip + points + skipped)
    x, y = lam[window], diag[window]
    ok = (x > 0) & (y > 0)
    assert ok.sum() == points
    slope, intercept = np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)
    return slope, intercept


def mean_offdiagonal_abs(matrix):
    k = matrix.shape[0]
    return np.abs(matrix[~np.eye(k, dtype=bool)]).mean()


def mean_std(values):
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    return values.mean(), (values.std(ddof=1) if len(values) > 1 else float("nan"))


@pytest.fixture(scope="module")
def alignment(sweeps, tmp_path_factory):
    index = sweeps.index("alignment")
    out = tmp_path_factory.mktemp("alignment-tables")
    run = analysis("tables", index, "--out", out)
    return index, out, run.stdout


def test_alignment_values_equal_a_recomputation_from_the_raw_datasets(alignment):
    index_path, out, _ = alignment
    per_run = {row["run_id"]: row for row in read_csv(os.path.join(out, "alignment-runs.csv"))}
    index, runs = runs_of(index_path)
    assert len(runs) == 16 and len(per_run) == 16
    for run_id, run in runs:
        point = last_with(run, "align")
        align = point["align"]
        cov, awd = align["covariance"], align["awd"]
        lam = align["lambda"][()]
        gamma, intercept = refit(lam, cov["diagonal"][()], int(cov.attrs["fit_skip"]),
                                 int(cov.attrs["gamma_points"]), int(cov.attrs["gamma_skipped"]))
        assert close(gamma, cov.attrs["gamma"], 1e-8), (run_id, gamma, cov.attrs["gamma"])
        assert close(intercept, cov.attrs["gamma_intercept"], 1e-8, 1e-10)
        gamma_awd, _ = refit(lam, awd["diagonal"][()], int(cov.attrs["fit_skip"]),
                             int(awd.attrs["gamma_points"]), int(awd.attrs["gamma_skipped"]))
        assert close(gamma_awd, awd.attrs["gamma"], 1e-8), (run_id, gamma_awd, awd.attrs["gamma"])
        m = mean_offdiagonal_abs(cov["correlation"][()])
        assert close(m, cov.attrs["m"], 1e-10)
        baseline = align["baseline"]
        draws = [baseline[f"draw_{d}"] for d in range(int(baseline.attrs["draws"]))]
        assert close(mean_offdiagonal_abs(draws[0]["correlation"][()]), draws[0].attrs["m"], 1e-10)
        m_rand = np.mean([d.attrs["m"] for d in draws])
        assert close(m_rand, baseline.attrs["m_mean"], 1e-12)
        k_eff = cov.attrs["trace"] ** 2 / cov.attrs["trace_squared"]
        assert close(k_eff, cov.attrs["k_eff"], 1e-10)
        null = math.sqrt(2 / (math.pi * k_eff))
        assert close(null, cov.attrs["null_expected"], 1e-10)
        row = per_run[run_id]
        assert int(row["step"]) == int(point.attrs["step"])
        assert int(row["k"]) == len(lam)
        for name, value in (("gamma", gamma), ("gamma_awd", gamma_awd), ("m", m), ("m_rand", m_rand),
                            ("k_eff", k_eff), ("null_expected", null), ("z", cov.attrs["z"]),
                            ("p_value", cov.attrs["p_value"])):
            assert close(number(row[name]), float(value), 1e-7, 1e-300), (run_id, name, row[name], value)


def test_alignment_cells_are_mean_and_std_over_the_seeds_of_each_configuration(alignment):
    index_path, out, _ = alignment
    index, runs = runs_of(index_path)
    groups = {}
    for run_id, run in runs:
        groups.setdefault(configuration(run), []).append(run)
    assert len(groups) == 8 and all(len(g) == 2 for g in groups.values())
    table = read_csv(os.path.join(out, "alignment.csv"))
    assert len(table) == 4                       # (mlp, cnn) x (3, 6 classes); losses are columns
    for members in groups.values():
        first = members[0]
        model = first["config"].attrs["model.type"].decode()
        classes = int(first["dataset"].attrs["classes"])
        loss = first["config"].attrs["model.loss"].decode()
        rows = [r for r in table if r["model"] == model and int(r["classes"]) == classes]
        assert len(rows) == 1, (model, classes)
        row = rows[0]
        assert row["dataset"] == "fashion-mnist"
        assert int(row[f"{loss}:seeds"]) == len(members)
        values = {"gamma": [], "gamma_awd": [], "m": [], "m_rand": [], "null_expected": [], "k_eff": [],
                  "z": [], "p_value": []}
        for run in members:
            align = last_with(run, "align")["align"]
            cov = align["covariance"]
            values["gamma"].append(cov.attrs["gamma"])
            values["gamma_awd"].append(align["awd"].attrs["gamma"])
            values["m"].append(mean_offdiagonal_abs(cov["correlation"][()]))
            values["m_rand"].append(align["baseline"].attrs["m_mean"])
            for name in ("null_expected", "k_eff", "z", "p_value"):
                values[name].append(cov.attrs[name])
        for name, series in values.items():
            mean, std = mean_std(series)
            assert close(number(row[f"{loss}:{name}:mean"]), mean, 1e-9, 1e-300), (model, classes, loss, name)
            assert close(number(row[f"{loss}:{name}:std"]), std, 1e-7, 1e-300), (model, classes, loss, name)


def test_alignment_table_is_printed_and_written_as_markdown(alignment):
    _, out, stdout = alignment
    assert "Study 1: noise-curvature alignment" in stdout
    for word in ("cross_entropy", "softmax_mse", "γ_AWD", "m_rand", "E|ρ| null", "k_eff", "seeds", "fashion-mnist"):
        assert word in stdout, word
    assert "16 runs in 8 configurations" in stdout
    with open(os.path.join(out, "alignment.md"), encoding="utf-8") as handle:
        md = handle.read()
    header = next(line for line in md.splitlines() if line.startswith("| dataset"))
    assert "cross_entropy: γ" in header and "softmax_mse: p" in header
    assert sum(1 for line in md.splitlines() if line.startswith("| fashion-mnist")) == 4
    for name in ("runs.csv", "runs.md", "alignment.csv", "alignment.md", "alignment-runs.csv"):
        assert os.path.getsize(os.path.join(out, name)) > 100, name


def test_fluctuation_table_groups_by_config_and_averages_over_seeds(sweeps, tmp_path):
    index_path = sweeps.index("epoch-noise")
    run = analysis("tables", index_path, "--out", tmp_path)
    assert "Study 2: fluctuation window" in run.stdout
    table = read_csv(tmp_path / "fluctuations.csv")
    index, runs = runs_of(index_path)
    groups = {}
    for run_id, root in runs:
        groups.setdefault(configuration(root), []).append(root)
    assert len(groups) == 5 and len(table) == 5
    # the index's summary has NaN momentum for the learning-rate grid; the table reads /config
    assert all(row["train.momentum"] in ("0", "0.9") for row in table), [r["train.momentum"] for r in table]
    for members in groups.values():
        config = members[0]["config"].attrs
        key = (float(config["train.lr"]), float(config["train.momentum"]), int(config["train.batch_size"]),
               config["train.sampling"].decode())
        rows = [r for r in table if (float(r["train.lr"]), float(r["train.momentum"]), int(r["train.batch_size"]),
                                     r["train.sampling"]) == key]
        assert len(rows) == 1, key
        row = rows[0]
        assert int(row["seeds"]) == len(members)
        windows = [last_with(r, "fluct")["fluct"] for r in members]
        for name, attribute in (("lambda_cross", "lambda_cross"), ("tau_sgd", "tau_sgd"),
                                ("theta_exponent", "theta_fit"), ("velocity_exponent", "velocity_fit"),
                                ("tau_exponent", "tau_fit"), ("white_fraction", "white_fraction_mean")):
            series = [w["stats"].attrs[attribute] for w in windows]
            mean, std = mean_std(series)
            assert close(number(row[f"{name}:mean"]), mean, 1e-9), (key, name)
            assert close(number(row[f"{name}:std"]), std, 1e-7), (key, name)
            assert int(row[f"{name}:finite"]) == int(np.isfinite(series).sum())
        # the theory columns follow from the window's own SGD
        w = windows[0]
        eta, beta, M = w.attrs["learning_rate"], w.attrs["momentum"], w.attrs["steps_per_epoch"]
        assert int(row["M"]) == M
        assert close(number(row["lambda_cross_theory:mean"]), 3 * (1 - beta) / (eta * M), 1e-9)
        assert close(number(row["tau_sgd_theory:mean"]), M / 3 * (1 + beta) / (1 - beta), 1e-9)


def test_runs_table_lists_every_run_with_its_grid_values(sweeps, tmp_path):
    analysis("tables", sweeps.index("fluct-linear"), "--out", tmp_path)
    rows = read_csv(tmp_path / "runs.csv")
    assert len(rows) == 8
    assert {r["status"] for r in rows} == {"completed"}
    assert sorted({(r["train.momentum"], r["train.sampling"]) for r in rows}) == \
        [("0", "epoch"), ("0", "replacement"), ("0.5", "epoch"), ("0.5", "replacement")]
    assert sorted(int(r["number"]) for r in rows) == list(range(8))
