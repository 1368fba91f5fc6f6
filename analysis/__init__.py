"""Post-processing of HessCov archives: tables, figures and reports (docs/analysis.md).

    python3 -m analysis tables results/sweeps/alignment-table-smoke/index.h5 --out tables/
    python3 -m analysis figures results/sweeps/alignment-table-smoke/index.h5 --out figures/
    python3 -m analysis report results/sweeps/alignment-table-smoke/index.h5 --out report/
    python3 -m analysis fluctuations results/fluct_linear/fluct.h5 --out fluct.png

Modules: reader (archives, runs, status, measure points), tables, figures, report, fluctuations.
Uses only numpy, h5py and matplotlib (Debian's python3-numpy, -h5py, -matplotlib).
"""
__version__ = "1.0"
