#!/usr/bin/env python3
"""ctest entry of the analysis tests: `run_pytest.py TEST_FILE...` runs pytest on them.

Exit 77 (ctest: skipped) when pytest, h5py or matplotlib cannot be imported or the hesscov binary
($HESSCOV) is missing; otherwise pytest's own exit status."""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

for module, package in (("pytest", "python3-pytest"), ("numpy", "python3-numpy"), ("h5py", "python3-h5py"),
                        ("matplotlib", "python3-matplotlib")):
    try:
        __import__(module)
    except ImportError as error:
        print(f"skipped: {error} (Debian: {package}; {sys.executable})")
        sys.exit(77)
binary = os.environ.get("HESSCOV")
if not binary or not os.path.isfile(binary):
    print(f"skipped: no hesscov binary (HESSCOV={binary!r})")
    sys.exit(77)

import pytest  # noqa: E402

options = [a for a in sys.argv[1:] if a.startswith("-")]
files = [a if os.path.isabs(a) else os.path.join(HERE, a) for a in sys.argv[1:] if not a.startswith("-")] or [HERE]
sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", "--rootdir", HERE, *options, *files]))
