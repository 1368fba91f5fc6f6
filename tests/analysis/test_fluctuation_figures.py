#!/usr/bin/env python3
"""analysis/fluctuations.py on a real archive: `hesscov fluct inputs/fluct_linear.yaml` at a short
window, then the script must find the window, print a ratio line per direction and write a PNG; the
ratios it prints must equal those recomputed here from the archive's datasets; a sweep index
needs --run. Exit 77 (skipped) without h5py or matplotlib."""
import os
import re
import subprocess
import sys
import tempfile

try:
    import h5py
    import matplotlib  # noqa: F401
    import numpy as np
except ImportError as error:
    print(f"skipped: {error}")
    sys.exit(77)

source = os.environ["HESSCOV_SOURCE_DIR"]
binary = os.environ["HESSCOV"]
script = os.path.join(source, "analysis", "fluctuations.py")

with tempfile.TemporaryDirectory() as folder:
    archive = os.path.join(folder, "fluct.h5")
    run = subprocess.run([binary, "fluct", os.path.join(source, "inputs", "fluct_linear.yaml"), "fluct.epochs=2000",
                          f"fluct.output={archive}", f"train.output={folder}/train"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    figure = os.path.join(folder, "fluct.png")
    out = subprocess.run([sys.executable, script, archive, "--out", figure], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert os.path.getsize(figure) > 10000, "the figure is (nearly) empty"
    with open(figure, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n", "not a PNG"
    with h5py.File(archive, "r") as handle:
        stats = handle["fluct/stats"]
        expected = stats["sigma2_v"][()] / stats["sigma2_v_theory"][()]
    printed = [float(x) for x in re.findall(r"sigma2_v/theory ([0-9.]+)", out.stdout)]
    assert len(printed) == 4, out.stdout
    assert np.allclose(printed, expected, atol=6e-5), (printed, expected)
    assert np.all(np.abs(np.array(printed) - 1.0) < 0.05), f"sigma2_v far from the theory: {printed}"
    # A file without a window is an error naming what is missing.
    empty = os.path.join(folder, "empty.h5")
    h5py.File(empty, "w").close()
    bad = subprocess.run([sys.executable, script, empty], capture_output=True, text=True)
    assert bad.returncode != 0 and "no fluctuation window" in bad.stderr, bad.stderr
print("analysis/fluctuations.py: ratios, figure and errors as expected")
