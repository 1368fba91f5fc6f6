"""Fixtures of the analysis tests: the hesscov binary, real archives written by it, and helpers
that read figure files back (PNG text chunks, PDF info strings) and run `python3 -m analysis`.

Archives come from $HESSCOV_ANALYSIS_ARCHIVES when ctest's fixture test (analysis.archives) wrote
them there, else they are written once per session into a temporary folder (tests/analysis/archives.py).
Tests skip only when h5py, matplotlib or the binary is missing."""
import os
import re
import subprocess
import sys
import zlib

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("HESSCOV_SOURCE_DIR") or os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, SOURCE)

h5py = pytest.importorskip("h5py", reason="h5py is not installed (python3-h5py)")
pytest.importorskip("matplotlib", reason="matplotlib is not installed (python3-matplotlib)")

import archives  # noqa: E402


@pytest.fixture(scope="session")
def binary():
    path = archives.binary()
    if path is None:
        pytest.skip("no hesscov binary: set HESSCOV or build build/src/hesscov")
    return path


class Archives:
    def __init__(self, out):
        self.out = out

    def index(self, name):
        return archives.build(self.out, name)


@pytest.fixture(scope="session")
def sweeps(binary, tmp_path_factory):
    """sweeps.index(name): the index of one of archives.SPECS, written on first use."""
    shared = os.environ.get("HESSCOV_ANALYSIS_ARCHIVES")
    out = shared if shared and os.path.isdir(shared) else str(tmp_path_factory.mktemp("archives"))
    return Archives(out)


def analysis(*args, cwd=None, check=True):
    """Run `python3 -m analysis ARGS` (the interpreter of the tests, PYTHONPATH = the repository)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = SOURCE + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    run = subprocess.run([sys.executable, "-m", "analysis", *map(str, args)], cwd=cwd or SOURCE, env=env,
                         capture_output=True, text=True)
    if check and run.returncode != 0:
        raise AssertionError(f"python3 -m analysis {' '.join(map(str, args))} exited {run.returncode}:\n"
                             f"{run.stdout[-4000:]}\n{run.stderr[-4000:]}")
    if check:   # matplotlib's warnings (missing glyphs, layouts that failed) mean an unreadable figure
        assert "Warning" not in run.stderr, f"python3 -m analysis {' '.join(map(str, args))}: {run.stderr[-4000:]}"
    return run


def png_text(path):
    """The tEXt/zTXt/iTXt chunks of a PNG as a dict; asserts the file is a well-formed PNG."""
    with open(path, "rb") as handle:
        data = handle.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    chunks, pos, text = [], 8, {}
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        crc = int.from_bytes(data[pos + 8 + length:pos + 12 + length], "big")
        assert zlib.crc32(kind + body) & 0xFFFFFFFF == crc, f"{path}: bad CRC in chunk {kind!r}"
        chunks.append(kind)
        if kind == b"tEXt":
            key, value = body.split(b"\0", 1)
            text[key.decode("latin-1")] = value.decode("latin-1")
        elif kind == b"zTXt":
            key, rest = body.split(b"\0", 1)
            text[key.decode("latin-1")] = zlib.decompress(rest[1:]).decode("latin-1")
        elif kind == b"iTXt":
            key, rest = body.split(b"\0", 1)
            flag, _method, rest = rest[0], rest[1], rest[2:]
            _lang, _translated, value = rest.split(b"\0", 2)
            text[key.decode("latin-1")] = (zlib.decompress(value) if flag else value).decode("utf-8")
        pos += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND", f"{path}: chunks {chunks[:3]}...{chunks[-2:]}"
    assert b"IDAT" in chunks, f"{path}: no image data"
    return text


def _pdf_string(data, start):
    """A PDF literal string (...) or hex string <...> starting at data[start]."""
    if data[start:start + 1] == b"<":
        end = data.index(b">", start)
        raw = bytes.fromhex(data[start + 1:end].decode())
        return raw[2:].decode("utf-16-be") if raw[:2] == b"\xfe\xff" else raw.decode("latin-1")
    depth, out, i = 0, bytearray(), start
    while True:
        c = data[i:i + 1]
        if c == b"\\":
            nxt = data[i + 1:i + 2]
            out += {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(nxt, nxt)
            i += 2
            continue
        if c == b"(":
            depth += 1
            if depth > 1:
                out += c
        elif c == b")":
            depth -= 1
            if depth == 0:
                return out.decode("latin-1")
            out += c
        else:
            out += c
        i += 1


def pdf_info(path):
    """The document information strings of a PDF; asserts it starts and ends like one."""
    with open(path, "rb") as handle:
        data = handle.read()
    assert data.startswith(b"%PDF-"), f"{path}: not a PDF"
    assert data.rstrip().endswith(b"%%EOF"), f"{path}: truncated PDF"
    info = {}
    for key in ("Title", "Subject", "Keywords", "Creator", "Producer"):
        match = re.search(rb"/" + key.encode() + rb"\s*([(<])", data)
        if match:
            info[key] = _pdf_string(data, match.start(1))
    return info


def check_figure_files(paths, run_ids=None, step=None, k=None, archive=None, software=None):
    """Every path exists, is non-empty, a valid PNG/PDF, and carries the provenance."""
    import matplotlib.image

    for path in paths:
        assert os.path.getsize(path) > 2000, f"{path}: (nearly) empty"
        if path.endswith(".png"):
            text = png_text(path)
            image = matplotlib.image.imread(path)
            assert image.shape[0] > 200 and image.shape[1] > 200, f"{path}: {image.shape}"
            assert image[..., :3].std() > 0.01, f"{path}: a blank image"
            fields = text
            blob = text.get("Description", "")
        else:
            info = pdf_info(path)
            fields = dict(item.split("=", 1) for item in info.get("Keywords", "").split("; ") if "=" in item)
            blob = info.get("Subject", "")
        for key in ("Run ids", "Checkpoint step", "k", "Archive", "Hesscov version"):
            assert key in fields, f"{path}: no provenance field {key!r} in {sorted(fields)}"
        assert fields["Hesscov version"].startswith("hesscov "), f"{path}: {fields['Hesscov version']}"
        assert "hesscov" in blob and "archive" in blob, f"{path}: no provenance text: {blob!r}"
        if run_ids is not None:
            assert sorted(fields["Run ids"].split(", ")) == sorted(run_ids), (path, fields["Run ids"], run_ids)
        if step is not None:
            assert fields["Checkpoint step"] == str(step), (path, fields["Checkpoint step"], step)
        if k is not None:
            assert fields["k"] == str(k), (path, fields["k"], k)
        if archive is not None:
            assert os.path.samefile(fields["Archive"], archive), (path, fields["Archive"], archive)
        if software is not None:
            assert fields["Hesscov version"] == software, (path, fields["Hesscov version"], software)
