"""Reading HessCov archives: a sweep index, a run file, or a standalone job file.

    from analysis.reader import open_sweep
    sweep = open_sweep("results/sweeps/alignment-table-smoke/index.h5")
    for entry in sweep.entries:                 # every run the index lists, with its status
        print(entry.number, entry.run_id, entry.status, entry.usable, entry.note)
    for config in sweep.configurations():       # usable runs grouped by every config value but the seed
        for run in config.runs:
            point = run.last("align")           # the last measure point that has an align analysis
            print(config.values, run.seed, point.step, point.align["covariance"].attrs["gamma"])

The layout is docs/archive-format.md. What is read:

* an index (`format = "hesscov-index"`): its `/summary` rows (run id, status, file, archive and the
  run's summary attributes), the `@unreadable`/`@unreadable_reasons` lists, and each run through
  the external link `/runs/<id>`;
* a run file (`hesscov-run`): root attributes, `/config` (typed attributes and `@canonical`),
  `/dataset` attributes, `/summary`, and the analyses under `/checkpoints/step_<k>/{align,eig,fluct}`;
* the standalone files of `hesscov align` (`hesscov-align-1`: `/align/step_<S>`), `hesscov eig`
  (`hesscov-eig-1`: `/eig/<operator>`) and `hesscov fluct` (`hesscov-fluct-1`: `/fluct`), which
  hold the same groups without the run's metadata.

Runs that are finished (`archive = "merged"`, status `completed` or `diverged: ...`) are usable;
views (`archive = "view"`: running or interrupted) are listed and skipped; runs the index could not
read (`@unreadable`) and links that no longer open are listed with their reason. Nothing of that
is an error: a partial sweep reads like a smaller one. Errors (`ArchiveError`) are for a file that
is not HDF5, not a HessCov archive, or lacks what was asked for, and name the file and the object.
"""
import os
import re

import numpy as np

try:
    import h5py
except ImportError as error:  # pragma: no cover - reported by the command line
    raise ImportError(f"the analysis package needs h5py (Debian: python3-h5py): {error}") from error

INDEX_FORMAT = "hesscov-index"
RUN_FORMAT = "hesscov-run"
JOB_FORMATS = ("hesscov-align-1", "hesscov-eig-1", "hesscov-fluct-1", "hesscov-checkpoint-1")
FORMATS = (INDEX_FORMAT, RUN_FORMAT) + JOB_FORMATS
ANALYSES = ("align", "eig", "fluct", "track")


class ArchiveError(Exception):
    """A file that cannot serve: not HDF5, not a HessCov archive, or missing what is needed."""


class MissingData(ArchiveError):
    """An object a table or figure needs is absent; the message names the file and the object."""


# ----------------------------------------------------------------------------- values

def decode(value):
    """HDF5 attribute or dataset value as plain Python: str, int, float, list."""
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "S":
            return [v.decode("utf-8", "replace") for v in value.ravel()]
        if value.ndim == 0:
            return decode(value[()])
        return value.tolist()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def display(value):
    """A config value as text: lists as `[a, b]`, reals in their shortest form."""
    if isinstance(value, list):
        return "[" + ", ".join(display(v) for v in value) + "]"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def attr(obj, name, default=None):
    """A decoded attribute, or default when absent."""
    if name in obj.attrs:
        return decode(obj.attrs[name])
    return default


def need(group, path, what, filename=None):
    """group[path], or a MissingData naming the file, the object and what it was needed for."""
    try:
        present = path in group
    except (KeyError, OSError, RuntimeError):  # a dangling link inside a view
        present = False
    if not present:
        name = filename or group.file.filename
        raise MissingData(f"{name}: {group.name.rstrip('/')}/{path} is missing (needed for {what})")
    return group[path]


def need_attr(obj, name, what, filename=None):
    """A decoded attribute, or a MissingData naming it."""
    if name not in obj.attrs:
        raise MissingData(f"{filename or obj.file.filename}: attribute {obj.name.rstrip('/')}@{name} "
                          f"is missing (needed for {what})")
    return decode(obj.attrs[name])


def units(dataset):
    """The `units` attribute of a dataset, or None (absent, or the dimensionless `1`)."""
    value = attr(dataset, "units")
    if value is None:
        return None
    value = value.strip()
    if value == "1" or value.startswith("1 ("):
        return None
    return value


# ----------------------------------------------------------------------------- opening

def open_file(path):
    """(h5py.File, format) for a HessCov archive; ArchiveError otherwise."""
    if not os.path.exists(path):
        raise ArchiveError(f"{path}: no such file")
    if os.path.isdir(path):
        candidate = os.path.join(path, "index.h5")
        if os.path.exists(candidate):
            path = candidate
        else:
            raise ArchiveError(f"{path}: a folder without index.h5 (run `hesscov index {path}` to build one)")
    try:
        is_hdf5 = h5py.is_hdf5(path)
    except OSError as error:
        raise ArchiveError(f"{path}: cannot be read ({error})") from error
    if not is_hdf5:
        raise ArchiveError(f"{path}: not an HDF5 file (no HDF5 signature; is it a HessCov archive at all?)")
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise ArchiveError(f"{path}: an HDF5 file that cannot be opened ({error})") from error
    fmt = attr(handle, "format")
    if fmt is None:
        handle.close()
        raise ArchiveError(f"{path}: an HDF5 file but not a HessCov archive (no root attribute 'format'; "
                           f"expected one of {', '.join(FORMATS)})")
    if fmt not in FORMATS:
        handle.close()
        raise ArchiveError(f"{path}: root attribute format = '{fmt}' is not a HessCov archive format "
                           f"(expected one of {', '.join(FORMATS)})")
    return handle, fmt


def open_sweep(path):
    """A Sweep for an index, or a one-run Sweep for a run or standalone file."""
    handle, fmt = open_file(path)
    return Sweep(handle, fmt)


# ----------------------------------------------------------------------------- points and runs

class Point:
    """One measure point: the analyses recorded at a step (any of them may be absent)."""

    def __init__(self, step, epoch=None, group=None, align=None, eig=None, fluct=None, track=None):
        self.step = step
        self.epoch = epoch
        self.group = group          # /checkpoints/step_<k> of a run file, else None
        self.align = align          # the align group or None
        self.eig = eig or {}        # operator -> eig/<operator> group
        self.fluct = fluct          # the fluct group or None
        self.track = track          # the track group (Study 3) or None

    def has(self, analysis):
        return bool(getattr(self, analysis))

    def __repr__(self):
        present = [a for a in ANALYSES if self.has(a)]
        return f"Point(step={self.step}, {'+'.join(present) or 'no analyses'})"


def _safe_get(group, name):
    try:
        return group[name] if name in group else None
    except (KeyError, OSError, RuntimeError):
        return None


class Run:
    """A run file (or a standalone job file) and what it holds."""

    def __init__(self, root, path, fmt, summary=None, number=None):
        self.root = root
        self.path = path
        self.format = fmt
        self.summary = dict(summary or {})
        self.run_id = attr(root, "run_id") or os.path.splitext(os.path.basename(path))[0]
        self.number = attr(root, "number", number)
        self.status = attr(root, "status", "completed" if fmt in JOB_FORMATS else "unknown")
        self.archive = attr(root, "archive", "standalone" if fmt in JOB_FORMATS else "unknown")
        self.software = attr(root, "software", "hesscov (version not recorded)")
        self.description = attr(root, "description", "")
        self.config = {}
        self.canonical = None
        config = _safe_get(root, "config") if fmt == RUN_FORMAT else None
        if config is not None:
            for key, value in config.attrs.items():
                if key == "canonical":
                    self.canonical = decode(value)
                elif key != "yaml":
                    self.config[key] = decode(value)
        summary_group = _safe_get(root, "summary") if fmt == RUN_FORMAT else None
        if summary_group is not None:
            for key, value in summary_group.attrs.items():
                self.summary.setdefault(key, decode(value))
        dataset = _safe_get(root, "dataset") if fmt == RUN_FORMAT else None
        self.dataset = {k: decode(v) for k, v in dataset.attrs.items()} if dataset is not None else {}
        self._points = None

    # identity -------------------------------------------------------------
    @property
    def seed(self):
        if "seed" in self.config:
            return self.config["seed"]
        return self.summary.get("seed")

    @property
    def finished(self):
        return self.archive in ("merged", "standalone")

    @property
    def completed(self):
        return self.finished and self.status == "completed"

    @property
    def diverged(self):
        return self.status.startswith("diverged")

    def canonical_items(self):
        """{key: canonical value text} of the config (every schema key, output keys excluded)."""
        if self.canonical:
            items = {}
            for line in self.canonical.splitlines():
                if "=" in line:
                    key, value = line.split("=", 1)
                    items[key] = value
            return items
        skip = {"train.output", "train.resume", "eig.output", "eig.checkpoint", "align.output",
                "align.checkpoints", "eig.batch_size", "align.batch_size", "align.chunk", "probe.batch_size",
                "fluct.output", "fluct.batch_size", "fluct.chunk"}
        return {k: display(v) for k, v in self.config.items() if k not in skip}

    def configuration_key(self):
        """Every config value but the seed: runs with the same key are seeds of one configuration."""
        return tuple(sorted((k, v) for k, v in self.canonical_items().items() if k != "seed"))

    def grid(self):
        """The values the sweep assigned to this run: its /summary attributes that are config keys."""
        if not self.config:
            return {}
        grid = {k: self.config[k] for k in self.summary if k in self.config and k != "seed"}
        if self.seed is not None:
            grid["seed"] = self.seed
        return grid

    def dataset_name(self):
        name = self.dataset.get("name", "")
        return name.split(":", 1)[0] if name else self.config.get("data.name", "?")

    def classes(self):
        if "classes" in self.dataset:
            return self.dataset["classes"]
        return None

    def label(self):
        return f"run {self.run_id}" + (f" (#{self.number})" if self.number is not None else "")

    # analyses -------------------------------------------------------------
    def points(self):
        """Measure points with at least one analysis, sorted by step."""
        if self._points is None:
            self._points = self._find_points()
        return self._points

    def _find_points(self):
        root = self.root
        points = []
        if self.format == RUN_FORMAT:
            checkpoints = _safe_get(root, "checkpoints")
            if checkpoints is None:
                return []
            for name in checkpoints:
                group = _safe_get(checkpoints, name)
                if group is None:
                    continue
                step = attr(group, "step")
                if step is None:
                    match = re.match(r"step_(\d+)$", name)
                    step = int(match.group(1)) if match else -1
                point = Point(step, attr(group, "epoch"), group)
                point.align = _safe_get(group, "align")
                point.fluct = _safe_get(group, "fluct")
                point.track = _safe_get(group, "track")
                eig = _safe_get(group, "eig")
                if eig is not None:
                    point.eig = {op: eig[op] for op in eig if op != "headline" and isinstance(eig.get(op), h5py.Group)}
                points.append(point)
        elif self.format == "hesscov-align-1":
            align = _safe_get(root, "align")
            for name in (align if align is not None else []):
                group = align[name]
                points.append(Point(attr(group, "step", -1), None, None, align=group))
        elif self.format == "hesscov-eig-1":
            eig = _safe_get(root, "eig")
            if eig is not None:
                points.append(Point(attr(root, "step", -1), None, None,
                                    eig={op: eig[op] for op in eig if isinstance(eig.get(op), h5py.Group)}))
        elif self.format == "hesscov-fluct-1":
            fluct = _safe_get(root, "fluct")
            if fluct is not None:
                points.append(Point(attr(fluct, "start_step", -1), None, None, fluct=fluct))
        points = [p for p in points if p.align is not None or p.eig or p.fluct is not None or p.track is not None]
        points.sort(key=lambda p: p.step)
        return points

    def analyses(self):
        """{analysis: [steps]} of the analyses this run recorded."""
        found = {}
        for point in self.points():
            for analysis in ANALYSES:
                if point.has(analysis):
                    found.setdefault(analysis, []).append(point.step)
        return found

    def last(self, analysis):
        """The last point with that analysis, or None."""
        with_it = [p for p in self.points() if p.has(analysis)]
        return with_it[-1] if with_it else None

    def point(self, analysis, step=None):
        """The point at `step` (default: the last) that has the analysis; MissingData if none."""
        with_it = [p for p in self.points() if p.has(analysis)]
        if not with_it:
            article = "an" if analysis[0] in "aeiou" else "a"
            raise MissingData(f"{self.path}: no checkpoint of {self.label()} has {article} {analysis} analysis "
                              f"(/checkpoints/step_*/{analysis})")
        if step is None:
            return with_it[-1]
        for p in with_it:
            if p.step == step:
                return p
        raise MissingData(f"{self.path}: {self.label()} has no {analysis} analysis at step {step} "
                          f"(it has steps {', '.join(str(p.step) for p in with_it)})")


# ----------------------------------------------------------------------------- the sweep

class Entry:
    """One run listed by an index (or the one run of a run file): its status and, if usable, the Run."""

    def __init__(self, run_id, status, archive, file, number=None, summary=None, run=None, note=""):
        self.run_id = run_id
        self.status = status
        self.archive = archive
        self.file = file
        self.number = number
        self.summary = summary or {}
        self.run = run
        self.note = note

    @property
    def usable(self):
        """A finished (merged) run whose file opens."""
        return self.run is not None and self.run.finished

    @property
    def state(self):
        """completed / diverged / incomplete / unreadable."""
        if self.archive == "unreadable":
            return "unreadable"
        if self.run is None:
            return "unreadable"
        if not self.run.finished:
            return "incomplete"
        return "diverged" if self.status.startswith("diverged") else self.status


class Configuration:
    """Usable runs sharing every config value but the seed."""

    def __init__(self, key, runs, varying):
        self.key = key
        self.runs = sorted(runs, key=lambda r: (r.seed if r.seed is not None else 0, r.run_id))
        first = self.runs[0]
        self.values = {k: display(first.config.get(k, dict(key).get(k))) for k in varying}

    @property
    def seeds(self):
        return [r.seed for r in self.runs]

    def label(self, keys=None):
        keys = self.values if keys is None else keys
        return ", ".join(f"{k}={self.values[k]}" for k in keys) or "all runs"


class Sweep:
    """An index (or one run file seen as a sweep of one run)."""

    def __init__(self, handle, fmt):
        self.handle = handle
        self.format = fmt
        self.path = handle.filename
        self.folder = os.path.dirname(os.path.abspath(self.path))
        self.software = attr(handle, "software", "hesscov (version not recorded)")
        self.spec = attr(handle, "spec", "")
        self.entries = []
        self.unreadable = []          # (file, reason) from the index
        self.orphans = []             # runs/<id>.partial folders without a run file
        if fmt == INDEX_FORMAT:
            self._read_index()
        else:
            run = Run(handle, self.path, fmt)
            self.software = run.software
            self.entries.append(Entry(run.run_id, run.status, run.archive, os.path.basename(self.path),
                                      run.number, run.summary, run,
                                      "" if run.finished else "incomplete (a view of a run in progress): skipped"))
        self.description = self._description()

    def close(self):
        self.handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _description(self):
        match = re.search(r"^description:\s*(.+)$", self.spec or "", re.M)
        if match:
            return match.group(1).strip()
        for entry in self.entries:
            if entry.run is not None and entry.run.description:
                return entry.run.description
        return ""

    def _read_index(self):
        handle = self.handle
        if "summary" not in handle:
            raise ArchiveError(f"{self.path}: a hesscov-index without /summary (a partial or damaged index: "
                               f"rebuild it with `hesscov index {self.folder}`)")
        rows = handle["summary"][()]
        names = rows.dtype.names or ()
        for required in ("run_id", "status", "file", "archive"):
            if required not in names:
                raise ArchiveError(f"{self.path}: /summary has no field '{required}'")
        runs_group = handle["runs"] if "runs" in handle else None
        for row in rows:
            summary = {name: decode(row[name]) for name in names}
            run_id, status = summary.pop("run_id"), summary.pop("status")
            file, archive = summary.pop("file"), summary.pop("archive")
            run, note = None, ""
            if runs_group is None or run_id not in runs_group:
                note = f"no link /runs/{run_id} in the index"
            else:
                try:
                    root = runs_group[run_id]
                    fmt = attr(root, "format", RUN_FORMAT)
                    run = Run(root, os.path.join(self.folder, file), fmt, summary)
                    status = run.status
                    archive = run.archive
                except (KeyError, OSError, RuntimeError) as error:
                    note = f"{file}: the link does not open ({error}); rebuild the index with `hesscov index`"
            if run is not None and not run.finished:
                note = f"incomplete ({archive}, status {status}): skipped"
            elif run is not None and run.diverged:
                note = "diverged: figures made, left out of the tables"
            number = run.number if run is not None else None
            self.entries.append(Entry(run_id, status, archive, file, number, summary, run, note))
        files = [f for f in (attr(handle, "unreadable", "") or "").split("\n") if f]
        reasons = [r for r in (attr(handle, "unreadable_reasons", "") or "").split("\n") if r]
        for i, file in enumerate(files):
            reason = reasons[i] if i < len(reasons) else "(no reason recorded)"
            self.unreadable.append((file, reason))
            self.entries.append(Entry(os.path.splitext(os.path.basename(file))[0], "unreadable", "unreadable",
                                      file, None, {}, None, reason))
        linked = {e.run_id for e in self.entries}
        runs_dir = os.path.join(self.folder, "runs")
        if os.path.isdir(runs_dir):
            for name in sorted(os.listdir(runs_dir)):
                if name.endswith(".partial") and name[:-len(".partial")] not in linked:
                    self.orphans.append(os.path.join("runs", name))

    # selections -----------------------------------------------------------
    def usable(self, include_diverged=True):
        """Finished runs whose files open, in run-number order."""
        runs = [e.run for e in self.entries if e.usable and (include_diverged or not e.run.diverged)]
        return sorted(runs, key=lambda r: (r.number if r.number is not None else 0, r.run_id))

    def skipped(self):
        return [e for e in self.entries if not e.usable]

    def find(self, selector):
        """The Run for `--run`: a run number, a run id or a unique prefix of one."""
        text = str(selector)
        candidates = [e for e in self.entries if e.run_id == text]
        if not candidates and text.isdigit():
            candidates = [e for e in self.entries if e.number is not None and e.number == int(text)]
        if not candidates:
            candidates = [e for e in self.entries if e.run_id.startswith(text.lower())]
        if not candidates:
            numbers = sorted(e.number for e in self.entries if e.number is not None)
            raise ArchiveError(f"{self.path}: no run {text} (run numbers "
                               f"{', '.join(map(str, numbers)) or 'none'}; or give a run id)")
        if len(candidates) > 1:
            raise ArchiveError(f"{self.path}: '{text}' matches {len(candidates)} runs; give more of the id")
        entry = candidates[0]
        if entry.run is None:
            raise ArchiveError(f"{self.path}: run {entry.run_id} is unreadable: {entry.note}")
        return entry.run

    def varying_keys(self, runs=None):
        """Config keys (other than the seed) whose value differs among the runs, in key order."""
        runs = self.usable() if runs is None else runs
        values = {}
        for run in runs:
            for key, value in run.canonical_items().items():
                values.setdefault(key, set()).add(value)
        keys = set(values)
        for run in runs:
            keys &= set(run.canonical_items())
        differing = [k for k in sorted(values) if k != "seed" and (len(values[k]) > 1 or k not in keys)]
        return differing

    def configurations(self, runs=None):
        """Runs grouped by every config value but the seed, in order of their first run number."""
        runs = self.usable() if runs is None else runs
        varying = self.varying_keys(runs)
        groups = {}
        for run in runs:
            groups.setdefault(run.configuration_key(), []).append(run)
        return [Configuration(key, members, varying) for key, members in groups.items()]

    # listing --------------------------------------------------------------
    def listing(self):
        """Lines: the index, its counts, and one line per run with its status (for tables and report)."""
        lines = []
        if self.format == INDEX_FORMAT:
            merged = attr(self.handle, "merged", sum(1 for e in self.entries if e.archive == "merged"))
            views = attr(self.handle, "views", sum(1 for e in self.entries if e.archive == "view"))
            lines.append(f"index {self.path}: {attr(self.handle, 'runs', len(self.entries))} runs linked "
                         f"({merged} finished, {views} in progress), {len(self.unreadable)} unreadable")
        else:
            lines.append(f"{self.format} file {self.path}")
        for entry in self.entry_rows():
            lines.append("  " + "  ".join(entry))
        for orphan in self.orphans:
            lines.append(f"  note: {orphan} exists without a run file (a run killed before its first commit)")
        return lines

    def entry_rows(self):
        rows = []
        for entry in sorted(self.entries, key=lambda e: (e.number if e.number is not None else 1 << 30, e.run_id)):
            number = "-" if entry.number is None else str(entry.number)
            values = ""
            if entry.run is not None:
                values = ", ".join(f"{k}={display(v)}" for k, v in entry.run.grid().items())
            text = f"{values}  [{entry.note}]" if entry.note and values else (entry.note or values)
            rows.append([f"#{number:>3}", entry.run_id, f"{entry.status:<12}", text])
        return rows
