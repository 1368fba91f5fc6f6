"""`python3 -m analysis bench`: figures, tables and report.md of `hesscov bench <suite> --record` records.

Products records come from the binary (1 rank; 2 ranks through $HESSCOV_MPIEXEC when set); the eig,
scaling and io suites are also tested on small hand-written records that follow the record schema
(docs/performance.md), so the tables and the drawn numbers are checked against known values. Every
figure must be a valid non-empty PNG/PDF carrying its provenance (software, hostname, record files,
command); every table number is checked against the record rows it comes from; malformed records
are exit 1 naming the file and the key."""
import copy
import csv
import json
import math
import os
import shlex
import shutil
import subprocess

import pytest

from conftest import analysis, pdf_info, png_text

FIGURE_OF = {"products": "roofline", "scaling": "scaling", "eig": "time-to-k", "io": "io"}


# ----------------------------------------------------------------------------- helpers

def bench_record(binary, folder, suite, *options, ranks=1, name=None):
    """Run `hesscov bench SUITE OPTIONS --record folder/NAME.h5` (through $HESSCOV_MPIEXEC for ranks > 1);
    returns the .json twin's path."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(str(folder), f"{name or suite}.h5")
    command = [binary, "bench", suite, *map(str, options), "--record", path]
    if ranks > 1:
        command = shlex.split(os.environ["HESSCOV_MPIEXEC"]) + ["-np", str(ranks)] + command
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    run = subprocess.run(command, capture_output=True, text=True, env=env, cwd=str(folder))
    assert run.returncode == 0, f"{' '.join(command)} exited {run.returncode}:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    twin = path[:-3] + ".json"
    assert os.path.exists(path) and os.path.exists(twin), os.listdir(folder)
    return twin


def load_json(path):
    with open(path) as handle:
        return json.load(handle)


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def number(text):
    return float(text) if text not in ("", "nan") else float("nan")


def close(a, b, rel=1e-9):
    a, b = float("nan") if a is None else float(a), float("nan") if b is None else float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300)


def check_bench_figure(out, name, records):
    """out/name.png and .pdf exist, are non-empty valid files and carry the provenance of `records`
    (paths of their JSON files): software, hostnames, the record files and commands."""
    import matplotlib.image
    data = [load_json(r) for r in records]
    for fmt in ("png", "pdf"):
        path = os.path.join(str(out), f"{name}.{fmt}")
        assert os.path.exists(path), f"{path} not written: {sorted(os.listdir(out))}"
        assert os.path.getsize(path) > 2000, f"{path}: (nearly) empty"
        if fmt == "png":
            fields = png_text(path)
            image = matplotlib.image.imread(path)
            assert image.shape[0] > 300 and image.shape[1] > 300, (path, image.shape)
            assert image[..., :3].std() > 0.01, f"{path}: a blank image"
            blob = fields.get("Description", "")
            assert fields.get("Title"), path
        else:
            info = pdf_info(path)
            fields = dict(item.split("=", 1) for item in info.get("Keywords", "").split("; ") if "=" in item)
            blob = info.get("Subject", "")
            assert info.get("Title") and info.get("Creator", "").startswith("hesscov analysis"), info
        for key in ("Suite", "Records", "Hesscov version", "Hostname", "Command"):
            assert key in fields, f"{path}: no provenance field {key!r} in {sorted(fields)}"
        listed = fields["Records"].split(", ")
        assert len(listed) == len(records) and all(os.path.samefile(a, b) for a, b in zip(listed, records)), \
            (path, listed, records)
        for record in data:
            assert record["software"] in fields["Hesscov version"], (path, fields["Hesscov version"])
            assert record["hostname"] in fields["Hostname"], (path, fields["Hostname"])
            assert record["command"] in fields["Command"], (path, fields["Command"])
            assert record["software"] in blob and record["command"] in blob, (path, blob)
        assert fields["Hesscov version"].startswith("hesscov "), fields["Hesscov version"]


def common(suite, command, ranks=1, **extra):
    record = {"suite": suite, "command": command, "format": "hesscov-bench-1", "schema_version": 1,
              "created": "2026-01-01T00:00:00Z", "software": "hesscov 0.1.0 (git test)", "hostname": "testhost",
              "cpu": "Test CPU", "cores": 16, "ranks": ranks, "gpus": 0, "precision": "fp64", "blas_threads": 1}
    record.update(extra)
    return record


def strong_record():
    times = {"grad": {1: 0.8, 2: 0.42, 4: 0.25}, "hvp": {1: 1.6, 2: 0.9, 4: None}}
    record = common("scaling", "hesscov bench scaling --mode strong --samples 4000", ranks=4, model="mlp:784,50,50,10",
                    mode="strong", samples=4000, batch=1000, repeat=3)
    rows = []
    for product, series in times.items():
        t1 = series[1]
        for ranks, t in series.items():
            speedup = None if t is None else t1 / t
            rows.append({"name": f"{product}_r{ranks}", "product": product, "ranks": ranks, "samples": 4000,
                         "best_s": t, "median_s": None if t is None else t * 1.05, "speedup": speedup,
                         "efficiency": None if t is None else speedup / ranks})
    record["rows"] = rows
    return record


def weak_record():
    times = {"grad": {1: 0.2, 2: 0.22, 4: 0.27, 8: 0.31}}
    record = common("scaling", "hesscov bench scaling --mode weak --samples 1000", ranks=8, model="mlp:784,50,50,10",
                    mode="weak", samples=1000, batch=1000, repeat=3)
    # speedup as the binary records it for weak scaling: efficiency × R / r0 (the scaled speedup)
    record["rows"] = [{"name": f"grad_r{r}", "product": "grad", "ranks": r, "samples": 1000 * r, "best_s": t,
                       "median_s": t * 1.1, "speedup": 0.2 * r / t, "efficiency": 0.2 / t}
                      for r, t in times["grad"].items()]
    return record


def eig_record():
    record = common("eig", "hesscov bench eig --n 4000 --nev 20,80", n=4000, decay=1.0, tol=1e-10, ncv=None, mpd=100)
    specs = [("krylovschur", 20, 20, 3.0, 1.2, 0.9, 0.4), ("krylovschur", 80, 80, 14.0, 4.0, 7.5, 1.5),
             ("lobpcg", 20, 17, 6.0, 3.1, 1.9, 0.2)]
    record["rows"] = [{"name": f"{solver}_nev{nev}", "solver": solver, "nev": nev, "converged": converged,
                       "iterations": 10 + nev, "products": 40 * nev, "solve_s": solve, "products_s": products,
                       "basis_s": basis, "orthogonalize_columns_s": basis * 0.6, "orthogonalize_blocks_s": basis * 0.3,
                       "projected_s": projected, "max_relative_error": 1e-12 * nev, "orthogonality_loss": 3e-14,
                       "peak_rss_bytes": 2 ** 20 * (50 + nev)}
                      for solver, nev, converged, solve, products, basis, projected in specs]
    return record


def io_record():
    record = common("io", "hesscov bench io --n 42200 --nev 100", ranks=2, n=42200, nev=100, steps=50, k=10)
    rows = []
    for dataset, (nrows, ncols) in (("eigenvectors", (42200, 100)), ("trajectory", (50, 10))):
        for ranks, best in ((1, 0.05), (2, 0.03)):
            size = nrows * ncols * 8
            best = best if dataset == "eigenvectors" else best / 100
            rows.append({"name": f"{dataset}_r{ranks}", "dataset": dataset, "ranks": ranks, "rows": nrows,
                         "columns": ncols, "bytes": size, "best_s": best, "median_s": best * 1.2,
                         "gbytes_per_s": size / best / 1e9})
    record["rows"] = rows
    return record


def products_record():
    record = common("products", "hesscov bench products --model mlp:20,10,3", model="mlp:20,10,3", device="cpu",
                    loss="cross_entropy", params=230, samples=200, batch=200, repeat=2, peak_gflops=20.0,
                    bandwidth_gbs=10.0, roofline_source="given")
    rows = []
    for name, flops, size, best in (("grad", 2e5, 1.6e5, 5e-5), ("hvp", 3.4e5, 3.4e5, 6e-5),
                                    ("cv", 6e7, 1e6, 5e-3)):
        intensity = flops / size
        gflops = flops / best / 1e9
        bound = min(20.0, intensity * 10.0)
        split = name != "cv"
        rows.append({"name": name, "best_s": best, "median_s": best, "vectors": 1, "per_vector_s": best,
                     "flops": flops, "bytes": size, "gflops_per_s": gflops, "gbytes_per_s": size / best / 1e9,
                     "intensity": intensity, "bound_gflops": bound, "fraction_of_bound": gflops / bound,
                     "compute_s": best * 0.9 if split else None, "communication_s": best * 0.05 if split else None,
                     "transfer_s": 0 if split else None})
    record["rows"] = rows
    return record


def write(folder, name, record):
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(str(folder), name)
    with open(path, "w") as handle:
        handle.write(record if isinstance(record, str) else json.dumps(record))
    return path


def fails(*args):
    run = analysis(*args, check=False)
    assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    return run.stderr.strip()


# ----------------------------------------------------------------------------- products from the binary

@pytest.fixture(scope="module")
def products_one(binary, tmp_path_factory):
    folder = tmp_path_factory.mktemp("products")
    return bench_record(binary, folder, "products", "--model", "mlp:20,10,3", "--samples", 200, "--repeat", 2,
                        "--block", "2,4")


def test_products_record_of_the_binary(products_one, tmp_path):
    """bench RECORD.h5 (read through its .json twin): the roofline figure with provenance, the products
    table equal to the record's rows, fraction = GFLOP/s / bound, bound = min(peak, I × bandwidth), the
    other suites skipped with a note, report.md linking every file."""
    h5 = products_one[:-5] + ".h5"
    out = tmp_path / "out"
    run = analysis("bench", h5, "--out", out)
    for suite in ("scaling", "eig", "io"):
        assert f"note: no {suite} record: the {FIGURE_OF[suite]} figure and the {suite} table are skipped" \
            in run.stdout, run.stdout
    assert sorted(os.listdir(out)) == ["report.md", "roofline.pdf", "roofline.png", "tables"]
    check_bench_figure(out, "roofline", [products_one])
    record = load_json(products_one)
    assert {r["name"] for r in record["rows"]} == {"grad", "hvp", "ggn", "cv", "jv", "hvp_block_2", "hvp_block_4"}
    rows = read_csv(out / "tables" / "products.csv")
    assert [r["product"] for r in rows] == [r["name"] for r in record["rows"]]
    peak, bandwidth = record["peak_gflops"], record["bandwidth_gbs"]
    for row, source in zip(rows, record["rows"]):
        for key in ("best_s", "median_s", "flops", "bytes", "gflops_per_s", "intensity", "bound_gflops",
                    "fraction_of_bound", "compute_s", "communication_s", "transfer_s"):
            assert close(number(row[key]), source[key]), (row["product"], key, row[key], source[key])
        assert close(number(row["fraction_of_bound"]), source["gflops_per_s"] / source["bound_gflops"], 1e-9)
        assert close(source["bound_gflops"], min(peak, source["intensity"] * bandwidth), 1e-9)
        assert close(source["intensity"], source["flops"] / source["bytes"], 1e-9)
        assert close(source["gflops_per_s"], source["flops"] / source["best_s"] / 1e9, 1e-6)
        if source["compute_s"] is not None:
            expected = source["communication_s"] / (source["compute_s"] + source["communication_s"])
            assert close(number(row["communication_fraction"]), expected)
        else:
            assert row["product"] in ("cv", "jv", "hvp_block_2", "hvp_block_4"), row["product"]
            assert row["communication_fraction"] == "nan"
    machines = read_csv(out / "tables" / "records.csv")
    assert len(machines) == 1 and os.path.samefile(machines[0]["file"], products_one)
    for key in ("hostname", "cpu", "software", "command", "suite", "precision"):
        assert machines[0][key] == str(record[key]), key
    assert int(machines[0]["ranks"]) == record["ranks"] == 1
    report = (out / "report.md").read_text()
    for link in ("roofline.png", "roofline.pdf", "tables/products.csv", "tables/products.md", "tables/records.csv"):
        assert f"]({link})" in report, link
        assert (out / link).stat().st_size > 0
    # the Markdown table shows the percentages of the record
    md = (out / "tables" / "products.md").read_text()
    for source in record["rows"]:
        assert f"| {100 * source['fraction_of_bound']:.1f} |" in md, source["name"]
    assert record["hostname"] in report and record["software"] in report and record["command"] in report


def test_the_h5_alone_reads_as_its_json_twin(products_one, tmp_path):
    """A .h5 without its .json twin is read through h5py: the same tables as from the JSON."""
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(products_one[:-5] + ".h5", alone / "products.h5")
    analysis("bench", alone / "products.h5", "--out", tmp_path / "h5")
    analysis("bench", products_one, "--out", tmp_path / "json")
    a = read_csv(tmp_path / "h5" / "tables" / "products.csv")
    b = read_csv(tmp_path / "json" / "tables" / "products.csv")
    assert len(a) == len(b) == 7
    for x, y in zip(a, b):
        assert x["product"] == y["product"]
        for key in x:
            if key not in ("product", "hostname", "device", "model"):
                assert close(number(x[key]), number(y[key])), (key, x[key], y[key])
    for fmt in ("png", "pdf"):
        assert (tmp_path / "h5" / f"roofline.{fmt}").stat().st_size > 2000


def test_products_on_two_ranks(binary, products_one, tmp_path):
    """A folder with the 1-rank and a 2-rank record (through $HESSCOV_MPIEXEC): two rooflines, both records."""
    if not os.environ.get("HESSCOV_MPIEXEC"):
        pytest.skip("HESSCOV_MPIEXEC is not set (an mpirun command line)")
    folder = tmp_path / "records"
    two = bench_record(binary, folder / "two", "products", "--model", "mlp:20,10,3", "--samples", 200,
                       "--repeat", 2, "--block", 0, ranks=2)
    os.makedirs(folder / "one")
    shutil.copy(products_one, folder / "one" / "products.json")
    one = str(folder / "one" / "products.json")
    out = tmp_path / "out"
    analysis("bench", folder, "--out", out)
    check_bench_figure(out, "roofline", [one, two])
    machines = read_csv(out / "tables" / "records.csv")
    assert [int(m["ranks"]) for m in machines] == [1, 2]
    rows = read_csv(out / "tables" / "products.csv")
    assert [int(r["ranks"]) for r in rows] == [1] * 7 + [2] * 5
    record = load_json(two)
    for row, source in zip(rows[7:], record["rows"]):
        assert close(number(row["fraction_of_bound"]), source["gflops_per_s"] / source["bound_gflops"], 1e-9)


# ----------------------------------------------------------------------------- scaling, eig, io from the binary

def check_scaling_rows(csv_rows, record):
    """The scaling table's rows are the record's; efficiency recomputed from the best times:
    strong t(r0) r0/(R t(R)), weak t(r0)/t(R) (r0 the fewest ranks); strong speedup t(r0)/t(R)."""
    mode = record["mode"]
    products = list(dict.fromkeys(s["product"] for s in record["rows"]))       # grouped by product, by ranks
    expected = sorted(((s["product"], s["ranks"]) for s in record["rows"]), key=lambda pr: (products.index(pr[0]), pr[1]))
    assert [(r["product"], int(r["ranks"])) for r in csv_rows] == expected
    for row in csv_rows:
        source = next(s for s in record["rows"] if (s["product"], s["ranks"]) == (row["product"], int(row["ranks"])))
        base = min((s for s in record["rows"] if s["product"] == row["product"]), key=lambda s: s["ranks"])
        t0, r0, t, ranks = base["best_s"], base["ranks"], source["best_s"], source["ranks"]
        assert row["mode"] == mode and close(number(row["best_s"]), t) and close(number(row["median_s"]), source["median_s"])
        expected = t0 * r0 / (ranks * t) if mode == "strong" else t0 / t
        assert close(number(row["efficiency"]), expected, 1e-9), (row, expected)
        assert close(number(row["speedup"]), source["speedup"]) and close(number(row["efficiency"]), source["efficiency"])
        if mode == "strong":
            assert close(number(row["speedup"]), t0 / t, 1e-9), row
        assert close(number(row["ideal_s"]), t0 * r0 / ranks if mode == "strong" else t0, 1e-12)
        assert int(number(row["samples"])) == source["samples"] == \
            (record["samples"] if mode == "strong" else record["samples"] * ranks)


def check_io_rows(csv_rows, record):
    assert [(r["dataset"], int(r["ranks"])) for r in csv_rows] == [(s["dataset"], s["ranks"]) for s in record["rows"]]
    for row, source in zip(csv_rows, record["rows"]):
        assert close(number(row["bytes"]), 8 * source["rows"] * source["columns"])
        assert close(number(row["gbytes_per_s"]), number(row["bytes"]) / number(row["best_s"]) / 1e9, 1e-9)
        assert close(number(row["best_s"]), source["best_s"]) and close(number(row["gbytes_per_s"]), source["gbytes_per_s"])
    shapes = {"eigenvectors": (record["nev"], record["n"]), "trajectory": (record["steps"], record["k"]),
              "trajectory_one_writer": (record["steps"], record["k"])}
    for source in record["rows"]:
        assert (source["rows"], source["columns"]) == shapes[source["dataset"]], source


def test_scaling_eig_and_io_records_of_the_binary(binary, tmp_path):
    """One rank: strong and weak scaling, eig (two solvers, two nev) and io records at tiny sizes, in one
    folder: the three figures with their provenance and the tables equal to the rows."""
    folder = tmp_path / "records"
    strong = bench_record(binary, folder, "scaling", "--model", "mlp:20,10,3", "--samples", 200, "--repeat", 2,
                          name="strong")
    weak = bench_record(binary, folder, "scaling", "--weak", "--model", "mlp:20,10,3", "--samples", 100,
                        "--repeat", 2, "--products", "grad", name="weak")
    eig = bench_record(binary, folder, "eig", "--n", 200, "--nev", "4,8", "--solvers", "krylovschur,lobpcg")
    io = bench_record(binary, folder, "io", "--n", 300, "--nev", 6, "--steps", 40, "--k", 4, "--chunk", 10,
                      "--repeat", 2, "--dir", tmp_path / "io-files")
    out = tmp_path / "out"
    run = analysis("bench", folder, "--out", out)
    assert "note: no products record" in run.stdout, run.stdout
    check_bench_figure(out, "scaling", [strong, weak])
    check_bench_figure(out, "time-to-k", [eig])
    check_bench_figure(out, "io", [io])
    assert not (out / "roofline.png").exists()
    rows = read_csv(out / "tables" / "scaling.csv")
    for path in (strong, weak):
        record = load_json(path)
        mine = [r for r in rows if r["mode"] == record["mode"]]
        assert all(s["ranks"] == 1 for s in record["rows"])
        check_scaling_rows(mine, record)
    record = load_json(eig)
    assert [(s["solver"], s["nev"]) for s in record["rows"]] == \
        [("krylovschur", 4), ("krylovschur", 8), ("lobpcg", 4), ("lobpcg", 8)]
    for row, source in zip(read_csv(out / "tables" / "eig.csv"), record["rows"]):
        assert (row["solver"], int(number(row["nev"])), int(number(row["converged"]))) == \
            (source["solver"], source["nev"], source["converged"])
        for key in ("products", "solve_s", "products_s", "basis_s", "projected_s", "peak_rss_bytes"):
            assert close(number(row[key]), source[key]), key
        other = max(0.0, source["solve_s"] - source["products_s"] - source["basis_s"] - source["projected_s"])
        assert abs(number(row["other_s"]) - other) <= 1e-12 * source["solve_s"], (row["other_s"], other)
    check_io_rows(read_csv(out / "tables" / "io.csv"), load_json(io))
    # `hesscov bench collect` links the records into records.h5: read as the records it lists
    collect = subprocess.run([binary, "bench", "collect", str(folder)], capture_output=True, text=True)
    assert collect.returncode == 0, collect.stdout + collect.stderr
    run = analysis("bench", folder / "records.h5", "--out", tmp_path / "collected")
    for i, path in enumerate(sorted([eig, io, strong, weak])):
        assert f"record #{i + 1}: {path} (" in run.stdout, run.stdout
    assert (tmp_path / "collected" / "tables" / "scaling.csv").read_text() == (out / "tables" / "scaling.csv").read_text()


def test_scaling_and_io_on_two_ranks(binary, tmp_path):
    """Two ranks through $HESSCOV_MPIEXEC: strong and weak scaling over 1 and 2 ranks, io at 1 and 2 ranks."""
    if not os.environ.get("HESSCOV_MPIEXEC"):
        pytest.skip("HESSCOV_MPIEXEC is not set (an mpirun command line)")
    folder = tmp_path / "records"
    strong = bench_record(binary, folder, "scaling", "--model", "mlp:20,10,3", "--samples", 400, "--repeat", 2,
                          ranks=2, name="strong")
    weak = bench_record(binary, folder, "scaling", "--weak", "--model", "mlp:20,10,3", "--samples", 200,
                        "--repeat", 2, ranks=2, name="weak")
    io = bench_record(binary, folder, "io", "--n", 300, "--nev", 6, "--steps", 40, "--k", 4, "--chunk", 10,
                      "--repeat", 2, "--dir", tmp_path / "io-files", ranks=2)
    out = tmp_path / "out"
    analysis("bench", folder, "--out", out)
    check_bench_figure(out, "scaling", [strong, weak])
    check_bench_figure(out, "io", [io])
    rows = read_csv(out / "tables" / "scaling.csv")
    for path in (strong, weak):
        record = load_json(path)
        assert record["ranks"] == 2 and sorted({s["ranks"] for s in record["rows"]}) == [1, 2]
        check_scaling_rows([r for r in rows if r["mode"] == record["mode"]], record)
    record = load_json(io)
    assert sorted({s["ranks"] for s in record["rows"]}) == [1, 2]
    check_io_rows(read_csv(out / "tables" / "io.csv"), record)


# ----------------------------------------------------------------------------- the other suites, known numbers

@pytest.fixture
def hand_written(tmp_path):
    folder = tmp_path / "records"
    paths = {"strong": write(folder / "scaling", "strong.json", strong_record()),
             "weak": write(folder / "scaling", "weak.json", weak_record()),
             "eig": write(folder, "eig.json", eig_record()),
             "io": write(folder, "io.json", io_record()),
             "products": write(folder, "products.json", products_record())}
    return folder, paths


def test_every_suite_from_hand_written_records(hand_written, tmp_path):
    """A folder of records of every suite: four figures with provenance, five tables whose numbers are the
    records' (efficiency = t(1)/(R t(R)) strong, t(1)/t(R) weak; other = solve - parts; GB/s = bytes/s)."""
    folder, paths = hand_written
    write(folder, "notes.json", {"something": "else"})      # not a record: noted, skipped
    out = tmp_path / "out"
    run = analysis("bench", folder, "--out", out)
    assert "notes.json: not a hesscov bench record" in run.stdout and "note: no " not in run.stdout, run.stdout
    # the folder's files in sorted order: eig, io, products, scaling/strong, scaling/weak (notes.json skipped)
    order = [paths[k] for k in ("eig", "io", "products", "strong", "weak")]
    for i, path in enumerate(order):
        assert f"record #{i + 1}: {path} (" in run.stdout, run.stdout
    check_bench_figure(out, "roofline", [paths["products"]])
    check_bench_figure(out, "scaling", [paths["strong"], paths["weak"]])
    check_bench_figure(out, "time-to-k", [paths["eig"]])
    check_bench_figure(out, "io", [paths["io"]])
    tables = out / "tables"
    assert sorted(os.listdir(tables)) == sorted(f"{n}.{e}" for n in ("records", "products", "scaling", "eig", "io")
                                                for e in ("csv", "md"))
    report = (out / "report.md").read_text()
    for name in ("roofline", "scaling", "time-to-k", "io"):
        assert f"![{name}]({name}.png)" in report and f"]({name}.pdf)" in report, name
    for name in ("records", "products", "scaling", "eig", "io"):
        assert f"](tables/{name}.csv)" in report and f"](tables/{name}.md)" in report, name
    assert "testhost (Test CPU, 16 cores, 0 GPUs)" in report

    # scaling: recomputed from the rows' best times
    rows = read_csv(tables / "scaling.csv")
    strong, weak = load_json(paths["strong"]), load_json(paths["weak"])
    assert len(rows) == len(strong["rows"]) + len(weak["rows"]) == 10
    for record, number_ in ((strong, 4), (weak, 5)):
        mine = [r for r in rows if int(r["record"]) == number_]
        assert [(r["product"], int(r["ranks"])) for r in mine] == [(s["product"], s["ranks"]) for s in record["rows"]]
        t1 = {s["product"]: s["best_s"] for s in record["rows"] if s["ranks"] == 1}
        for row in mine:
            t, ranks, product = number(row["best_s"]), int(row["ranks"]), row["product"]
            if math.isnan(t):
                assert row["efficiency"] == row["speedup"] == "nan"
                continue
            expected = t1[product] / (ranks * t) if row["mode"] == "strong" else t1[product] / t
            assert close(number(row["efficiency"]), expected, 1e-12), row
            source = next(s for s in record["rows"] if (s["product"], s["ranks"]) == (product, ranks))
            assert close(number(row["speedup"]), source["speedup"]), row
            if row["mode"] == "strong":
                assert close(number(row["speedup"]), t1[product] / t, 1e-12), row
            ideal = t1[product] / ranks if row["mode"] == "strong" else t1[product]
            assert close(number(row["ideal_s"]), ideal, 1e-12), row
    md = (tables / "scaling.md").read_text()
    assert "| #4 | testhost | strong | mlp:784,50,50,10 | grad | 4 | 4000 | 0.25 | 0.2625 | 0.2 | 3.2 | 0.8 |" in md, md

    # eig: the parts and the remainder
    rows = read_csv(tables / "eig.csv")
    source = load_json(paths["eig"])["rows"]
    assert [(r["solver"], int(float(r["nev"]))) for r in rows] == [(s["solver"], s["nev"]) for s in source]
    for row, s in zip(rows, source):
        for key in ("converged", "products", "solve_s", "products_s", "basis_s", "projected_s", "peak_rss_bytes",
                    "max_relative_error", "orthogonality_loss", "iterations"):
            assert close(number(row[key]), s[key]), key
        other = max(0.0, s["solve_s"] - s["products_s"] - s["basis_s"] - s["projected_s"])
        assert abs(number(row["other_s"]) - other) <= 1e-12 * s["solve_s"], (row["other_s"], other)
    md = (tables / "eig.md").read_text()
    assert "| #1 | testhost, 1 rank | 4000 | lobpcg | 20 | 17 | 30 | 800 | 6 | 3.1 | 1.9 | 0.2 | 0.8 |" in md, md
    assert "| 70 |" in md      # peak RSS of the first solve in MiB

    # io: bandwidth is bytes over the best time
    rows = read_csv(tables / "io.csv")
    source = load_json(paths["io"])["rows"]
    assert [(r["dataset"], int(r["ranks"])) for r in rows] == [(s["dataset"], s["ranks"]) for s in source]
    for row, s in zip(rows, source):
        assert close(number(row["gbytes_per_s"]), number(row["bytes"]) / number(row["best_s"]) / 1e9, 1e-12)
        assert close(number(row["bytes"]), s["bytes"]) and close(number(row["best_s"]), s["best_s"])


def test_the_drawn_numbers_are_the_records(hand_written, tmp_path, monkeypatch):
    """What each figure draws: the roofline min(peak, I × bandwidth) and the points (I, GFLOP/s); the scaling
    points, ideal lines and efficiencies; the stacked bars and converged/nev; the io bandwidths."""
    import numpy as np
    import analysis.bench as bench

    folder, paths = hand_written
    captured = {}
    original = bench.save

    def spy(fig, base, prov, title):
        captured[os.path.basename(base)] = [
            {"lines": [(l.get_label(), l.get_xydata().copy()) for l in a.lines],
             "bars": [(p.get_x() + p.get_width() / 2, p.get_y(), p.get_height()) for p in a.patches],
             "texts": [t.get_text() for t in a.texts], "xlabel": a.get_xlabel(), "ylabel": a.get_ylabel(),
             "xscale": a.get_xscale(), "yscale": a.get_yscale(),
             "ticks": [t.get_text() for t in a.get_xticklabels()]} for a in fig.axes]
        return original(fig, base, prov, title)

    monkeypatch.setattr(bench, "save", spy)
    bench.build([str(folder)], str(tmp_path / "out"), log=lambda line: None)

    # roofline
    (axis,) = captured["roofline"]
    assert axis["xscale"] == axis["yscale"] == "log"
    assert axis["xlabel"] == "arithmetic intensity [FLOP/byte]" and axis["ylabel"] == "GEMM performance [GFLOP/s]"
    record = load_json(paths["products"])
    roof = [xy for label, xy in axis["lines"] if "roofline" in label]
    assert len(roof) == 1
    assert np.allclose(roof[0][:, 1], np.minimum(20.0, roof[0][:, 0] * 10.0))
    assert roof[0][:, 0].min() < 2.0 < roof[0][:, 0].max()             # the ridge point peak/bandwidth is drawn
    points = sorted(tuple(xy[0]) for label, xy in axis["lines"] if len(xy) == 1)
    assert np.allclose(points, sorted((r["intensity"], r["gflops_per_s"]) for r in record["rows"]))
    assert sorted(axis["texts"]) == ["cv", "grad", "hvp"]

    # scaling: left panel times and ideal lines, right panel efficiencies
    left, right = captured["scaling"]
    assert left["yscale"] == "log" and left["ylabel"] == "best time per product [s]"
    assert left["ticks"] == right["ticks"] == ["1", "2", "4", "8"] and left["xlabel"] == "MPI ranks"
    drawn = dict((label, xy) for label, xy in left["lines"] if label and not label.startswith("_"))
    assert np.allclose(drawn["#4 grad, strong, mlp:784,50,50,10"], [[1, 0.8], [2, 0.42], [4, 0.25]])
    assert np.allclose(drawn["#4 hvp, strong, mlp:784,50,50,10"], [[1, 1.6], [2, 0.9]])      # the null time left out
    dashed = [xy for label, xy in left["lines"] if label.startswith("_")]

    def drawn_line(expected):
        return any(xy.shape == np.shape(expected) and np.allclose(xy, expected) for xy in dashed)

    assert drawn_line([[1, 0.8], [2, 0.4], [4, 0.2]])                     # strong: t(1)/R
    assert drawn_line([[1, 1.6], [2, 0.8]])
    assert drawn_line([[1, 0.2], [2, 0.2], [4, 0.2], [8, 0.2]])           # weak: t(1)
    efficiency = dict(right["lines"])
    assert np.allclose(efficiency["#4 grad, strong, mlp:784,50,50,10"][:, 1], [1, 0.8 / 0.84, 0.8])
    assert np.allclose(efficiency["#5 grad, weak, mlp:784,50,50,10"][:, 1], [1, 0.2 / 0.22, 0.2 / 0.27, 0.2 / 0.31])

    # time-to-k: each bar's stack is products, basis, projected, other
    (axis,) = captured["time-to-k"]
    rows = load_json(paths["eig"])["rows"]
    bars = sorted(axis["bars"])
    assert len(bars) == 4 * len(rows)
    for i, row in enumerate(rows):
        stack = sorted((b for b in bars if abs(b[0] - i) < 1e-9), key=lambda b: b[1])
        parts = [row["products_s"], row["basis_s"], row["projected_s"],
                 max(0.0, row["solve_s"] - row["products_s"] - row["basis_s"] - row["projected_s"])]
        assert np.allclose([b[2] for b in stack], parts), (row["name"], stack)
        assert np.isclose(stack[-1][1] + stack[-1][2], max(row["solve_s"], sum(parts[:3])))
    assert axis["texts"] == ["20/20", "80/80", "17/20"]
    assert axis["ticks"] == ["krylovschur\nnev 20", "krylovschur\nnev 80", "lobpcg\nnev 20"]
    assert axis["ylabel"] == "EPSSolve time [s]"

    # io
    (axis,) = captured["io"]
    drawn = dict(axis["lines"])
    source = load_json(paths["io"])["rows"]
    for dataset in ("eigenvectors", "trajectory"):
        expected = [[s["ranks"], s["gbytes_per_s"]] for s in source if s["dataset"] == dataset]
        shape = "42200×100, 33.8 MB" if dataset == "eigenvectors" else "50×10, 0.004 MB"
        assert np.allclose(drawn[f"#2 {dataset} ({shape}; testhost)"], expected), sorted(drawn)
    assert axis["yscale"] == "log"
    assert axis["ylabel"] == "write bandwidth (bytes / best time) [GB/s]"


def test_one_suite_alone_and_duplicates(hand_written, tmp_path):
    """Only an eig record (named twice, once through a folder): one figure, the others skipped with notes."""
    folder, paths = hand_written
    only = tmp_path / "only"
    only.mkdir()
    shutil.copy(paths["eig"], only / "eig.json")
    out = tmp_path / "out"
    run = analysis("bench", only / "eig.json", only, "--out", out)
    assert run.stdout.count("record #") == 1, run.stdout
    for suite in ("products", "scaling", "io"):
        assert f"note: no {suite} record" in run.stdout
    assert sorted(os.listdir(out)) == ["report.md", "tables", "time-to-k.pdf", "time-to-k.png"]
    check_bench_figure(out, "time-to-k", [str(only / "eig.json")])
    report = (out / "report.md").read_text()
    assert "roofline.png" not in report and "## Notes" in report and "no scaling record" in report


# ----------------------------------------------------------------------------- errors

def test_malformed_records(tmp_path):
    good = products_record()
    cases = {
        "not-json.json": ("{\"suite\": \"products\", ", ["not JSON"]),
        "list.json": ([1, 2], ["not a hesscov bench record", "list"]),
        "no-format.json": ({k: v for k, v in good.items() if k != "format"}, ["'format'", "missing"]),
        "wrong-format.json": (dict(good, format="hesscov-bench-9"), ["'format'", "hesscov-bench-9"]),
        "schema.json": (dict(good, schema_version=2), ["'schema_version'"]),
        "no-rows.json": ({k: v for k, v in good.items() if k != "rows"}, ["'rows'", "missing"]),
        "empty-rows.json": (dict(good, rows=[]), ["'rows'", "empty"]),
        "no-peak.json": ({k: v for k, v in good.items() if k != "peak_gflops"}, ["'peak_gflops'", "missing"]),
        "no-hostname.json": ({k: v for k, v in good.items() if k != "hostname"}, ["'hostname'", "missing"]),
    }
    bad_row = copy.deepcopy(good)
    del bad_row["rows"][1]["intensity"]
    cases["no-intensity.json"] = (bad_row, ["'rows[1] (hvp).intensity'", "missing"])
    text_number = copy.deepcopy(good)
    text_number["rows"][0]["best_s"] = "fast"
    cases["text.json"] = (text_number, ["'rows[0] (grad).best_s'", "\"fast\"", "not a number"])
    scaling = strong_record()
    del scaling["rows"][2]["efficiency"]
    cases["no-efficiency.json"] = (scaling, ["'rows[2] (grad_r4).efficiency'", "missing"])
    eig = eig_record()
    eig["rows"][0]["solver"] = None
    cases["null-solver.json"] = (eig, ["'rows[0] (krylovschur_nev20).solver'", "not a string"])
    cases["bad-mode.json"] = (dict(strong_record(), mode="sideways"), ["'mode'", "sideways", "'strong' or 'weak'"])
    io = io_record()
    io["rows"][0]["ranks"] = 1.5
    cases["fractional-ranks.json"] = (io, ["'rows[0] (eigenvectors_r1).ranks'", "not an integer"])
    for name, (content, words) in cases.items():
        path = write(tmp_path, name, content)
        message = fails("bench", path, "--out", tmp_path / "out")
        assert path in message, (name, message)
        for word in words:
            assert word in message, (name, word, message)
    # in a folder, a malformed record is an error too (a JSON claiming the format)
    folder = tmp_path / "folder"
    write(folder, "good.json", good)
    path = write(folder / "sub", "bad.json", cases["no-intensity.json"][0])
    message = fails("bench", folder, "--out", tmp_path / "out")
    assert path in message and "intensity" in message, message


def test_no_usable_record_and_usage_errors(tmp_path, products_one):
    empty = tmp_path / "empty"
    empty.mkdir()
    message = fails("bench", empty, "--out", tmp_path / "out")
    assert str(empty) in message and "no hesscov bench record" in message, message
    write(empty, "other.json", {"hello": 1})
    message = fails("bench", empty, "--out", tmp_path / "out")
    assert str(empty) in message and "no hesscov bench record" in message, message
    future = write(tmp_path / "future", "future.json", dict(products_record(), suite="future"))
    message = fails("bench", future, "--out", tmp_path / "out")
    assert future in message and "no record of a known suite" in message and "future" in message, message
    message = fails("bench", tmp_path / "absent.json", "--out", tmp_path / "out")
    assert "absent.json: no such file" in message, message
    fake = tmp_path / "fake.h5"
    fake.write_bytes(os.urandom(2000))
    message = fails("bench", fake, "--out", tmp_path / "out")
    assert str(fake) in message and "fake.json" in message, message
    no_rows = tmp_path / "plain.h5"
    import h5py
    with h5py.File(no_rows, "w") as handle:
        handle.attrs["format"] = "hesscov-bench-1"
    message = fails("bench", no_rows, "--out", tmp_path / "out")
    assert str(no_rows) in message and "/row_names is missing" in message, message
    assert not (tmp_path / "out").exists()
    for args in (["bench", products_one], ["bench", "--out", str(tmp_path / "out")]):
        run = analysis(*args, check=False)
        assert run.returncode == 2 and "usage" in run.stderr, (args, run.returncode, run.stderr)
