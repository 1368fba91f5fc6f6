"""Clear messages for files that cannot serve, and partial sweeps read as smaller ones.

Each message must name the file and say what is wrong; runs that are incomplete, unreadable or whose
file vanished are listed with their status and skipped, never fatal."""
import os
import shutil
import subprocess

import h5py
import pytest

from conftest import analysis


def fails(*args):
    run = analysis(*args, check=False)
    assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr, run.stderr
    return run.stderr.strip()


@pytest.mark.parametrize("command", ["tables", "figures", "report", "runs", "fluctuations"])
def test_random_bytes(tmp_path, command):
    path = tmp_path / "corrupt.h5"
    path.write_bytes(os.urandom(3000))
    extra = ["--out", str(tmp_path / "out")] if command in ("figures", "report") else []
    message = fails(command, path, *extra)
    assert str(path) in message and "not an HDF5 file" in message, message


def test_hdf5_files_that_are_not_hesscov_archives(tmp_path):
    plain = tmp_path / "plain.h5"
    with h5py.File(plain, "w") as handle:
        handle["x"] = [1, 2, 3]
    message = fails("tables", plain)
    assert str(plain) in message and "not a HessCov archive" in message and "format" in message, message
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as handle:
        handle.attrs["format"] = "netcdf-something"
    message = fails("figures", other, "--out", tmp_path / "out")
    assert str(other) in message and "netcdf-something" in message, message
    message = fails("tables", tmp_path / "absent.h5")
    assert "absent.h5: no such file" in message
    message = fails("tables", tmp_path)
    assert "without index.h5" in message and "hesscov index" in message


def test_a_run_file_without_what_a_figure_needs(sweeps, tmp_path):
    """A hesscov-run file whose C_V matrix is gone: that figure is skipped with the object named."""
    index = sweeps.index("curvature")
    with h5py.File(index, "r") as handle:
        row = handle["summary"][0]
        source = os.path.join(os.path.dirname(index), row["file"].decode())
    copy = tmp_path / "run.h5"
    shutil.copy(source, copy)
    with h5py.File(copy, "r+") as handle:
        last = max(handle["checkpoints"].values(), key=lambda g: g.attrs["step"])
        step = int(last.attrs["step"])
        del last["align/covariance/matrix"]
    run = analysis("figures", copy, "--only", "cv-heatmap,power-law", "--out", tmp_path / "out")
    assert f"/checkpoints/step_{step}/align/covariance/matrix is missing (needed for the C_V heatmap)" in run.stdout
    assert str(copy) in run.stdout
    assert os.path.exists(tmp_path / "out" / "power-law.png")
    assert not os.path.exists(tmp_path / "out" / "cv-heatmap.png")
    # no align analysis at all: the fluctuations command names what it looked for
    message = fails("fluctuations", copy, "--out", tmp_path / "f.png")
    assert "no fluctuation window" in message and "fluct" in message, message
    # a run that is asked for but does not exist
    message = fails("figures", index, "--run", "999", "--out", tmp_path / "out2")
    assert "no run 999" in message


def test_a_vanished_run_file_and_the_rebuilt_index(sweeps, binary, tmp_path):
    """Delete a finished run's file: the old index lists it as unreadable (its link does not open);
    `hesscov index DIR` drops it; tables and reports go on with the others."""
    source = os.path.dirname(sweeps.index("fluct-linear"))
    folder = tmp_path / "sweep"
    shutil.copytree(source, folder)
    with h5py.File(folder / "index.h5", "r") as handle:
        rows = handle["summary"][()]
    gone = rows[0]["run_id"].decode()
    os.remove(folder / rows[0]["file"].decode())
    run = analysis("tables", folder / "index.h5")
    assert gone in run.stdout and "does not open" in run.stdout
    assert "7 runs in 4 configurations" in run.stdout
    rebuilt = subprocess.run([binary, "index", str(folder)], capture_output=True, text=True)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    run = analysis("tables", folder / "index.h5")
    assert gone not in run.stdout and "7 runs linked" in run.stdout


def test_partial_sweep_listing(sweeps):
    """The reader's view of the SIGUSR1-stopped sweep: merged runs usable, the view listed with its
    status, the random-bytes file with the index's reason, the orphan .partial folder noted."""
    from analysis.reader import open_sweep
    with open_sweep(sweeps.index("partial")) as sweep:
        states = {e.run_id: e.state for e in sweep.entries}
        assert sorted(states.values()).count("completed") == 2
        assert "incomplete" in states.values() and states["0123456789abcdef"] == "unreadable"
        view = next(e for e in sweep.entries if e.state == "incomplete")
        assert view.status == "interrupted" and view.archive == "view" and "skipped" in view.note
        assert view.run.config["seed"] == 1                    # a view reads through its links
        assert [r.run_id for r in sweep.usable()] == [e.run_id for e in sweep.entries if e.state == "completed"]
        assert sweep.orphans == [os.path.join("runs", "fedcba9876543210.partial")]
        listing = "\n".join(sweep.listing())
        assert "1 unreadable" in listing and "file signature not found" in listing
        assert len(sweep.configurations()) == 1
