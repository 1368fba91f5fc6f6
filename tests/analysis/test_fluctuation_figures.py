"""analysis/fluctuations.py (the `fluctuations` command) on a real archive: `hesscov fluct
inputs/fluct_linear.yaml` at a short window, then the command must find the window, print a ratio line
per direction and write a PNG with its provenance; the ratios it prints must equal those recomputed
here from the archive's datasets; it runs both as `python3 analysis/fluctuations.py` and as
`python3 -m analysis fluctuations`; a sweep index needs --run."""
import os
import re
import subprocess
import sys

if __name__ == "__main__":      # run as a script (ctest analysis.fluctuation_figures): through pytest
    sys.exit(subprocess.call([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                           "run_pytest.py"), os.path.abspath(__file__)]))

import h5py
import numpy as np
import pytest

from conftest import SOURCE, analysis, check_figure_files

SCRIPT = os.path.join(SOURCE, "analysis", "fluctuations.py")


@pytest.fixture(scope="module")
def window(binary, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fluct")
    archive = folder / "fluct.h5"
    run = subprocess.run([binary, "fluct", os.path.join(SOURCE, "inputs", "fluct_linear.yaml"), "fluct.epochs=2000",
                          f"fluct.output={archive}", f"train.output={folder}/train"], capture_output=True, text=True,
                         env=dict(os.environ, OPENBLAS_NUM_THREADS="1"))
    assert run.returncode == 0, run.stdout + run.stderr
    return archive


def test_script_prints_the_ratios_of_the_archive_and_writes_the_figure(window, tmp_path):
    figure = tmp_path / "fluct.png"
    out = subprocess.run([sys.executable, SCRIPT, str(window), "--out", str(figure)], capture_output=True, text=True,
                         cwd=tmp_path)                          # as a file, from anywhere
    assert out.returncode == 0, out.stdout + out.stderr
    with h5py.File(window, "r") as handle:
        stats = handle["fluct/stats"]
        expected = stats["sigma2_v"][()] / stats["sigma2_v_theory"][()]
        software = handle.attrs["software"].decode()
        start = int(handle["fluct"].attrs["start_step"])
    printed = [float(x) for x in re.findall(r"sigma2_v/theory ([0-9.]+)", out.stdout)]
    assert len(printed) == 4, out.stdout
    assert np.allclose(printed, expected, atol=6e-5), (printed, expected)
    assert np.all(np.abs(np.array(printed) - 1.0) < 0.05), f"sigma2_v far from the theory: {printed}"
    check_figure_files([str(figure)], step=start, k=4, archive=str(window), software=software)


def test_module_command_and_pdf_output(window, tmp_path):
    figure = tmp_path / "fluct.pdf"
    run = analysis("fluctuations", window, "--out", figure)
    assert run.stdout.count("sigma2_v/theory") == 4
    check_figure_files([str(figure)], k=4, archive=str(window))


def test_sweep_index_needs_a_run(sweeps, tmp_path):
    index = sweeps.index("fluct-linear")
    bad = subprocess.run([sys.executable, SCRIPT, index], capture_output=True, text=True)
    assert bad.returncode == 1 and "choose a run with --run" in bad.stderr, bad.stderr
    run = analysis("fluctuations", index, "--run", "3", "--out", tmp_path / "run3.png")
    assert run.stdout.count("sigma2_v/theory") == 4
    assert os.path.getsize(tmp_path / "run3.png") > 10000


def test_files_without_a_window(tmp_path):
    empty = tmp_path / "empty.h5"
    h5py.File(empty, "w").close()
    bad = subprocess.run([sys.executable, SCRIPT, str(empty)], capture_output=True, text=True)
    assert bad.returncode != 0 and "not a HessCov archive" in bad.stderr and str(empty) in bad.stderr, bad.stderr
