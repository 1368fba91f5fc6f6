"""The benchmark records of `hesscov bench <suite> --record PATH` (docs/performance.md "Records"),
read and checked for `python3 -m analysis bench` (analysis/bench.py): a record is one JSON object
(format `hesscov-bench-1`) in the `.json` twin of the `.h5` the benchmark wrote; an input may be
either file (a `.h5` is read through its twin, or through h5py when the twin is absent), the
`records.h5` of `hesscov bench collect DIR` (the records it lists), or a folder (every `*.json`
record under it; other JSON files there are noted and skipped). A file that is not a record, or
lacks a key a table or figure needs, is an ArchiveError naming the file and the key.
"""
import json
import math
import os

from .reader import ArchiveError

FORMAT = "hesscov-bench-1"
COLLECTION_FORMAT = "hesscov-bench-collection-1"     # `hesscov bench collect DIR`: DIR/records.h5
SCHEMA_VERSION = 1
SUITES = ("products", "scaling", "eig", "io")
FIGURES = {"products": "roofline", "scaling": "scaling", "eig": "time-to-k", "io": "io"}

STRING, INTEGER, NUMBER = "a string", "an integer", "a number"
COMMON_KEYS = {"suite": STRING, "software": STRING, "hostname": STRING, "ranks": INTEGER}
# per suite: (record keys, row keys) a table or figure needs; a NUMBER may be null (non-finite)
NEEDED = {
    "products": ({"peak_gflops": NUMBER, "bandwidth_gbs": NUMBER},
                 {"name": STRING, "best_s": NUMBER, "flops": NUMBER, "bytes": NUMBER, "gflops_per_s": NUMBER,
                  "intensity": NUMBER, "bound_gflops": NUMBER, "fraction_of_bound": NUMBER}),
    "scaling": ({"mode": STRING},
                {"name": STRING, "product": STRING, "ranks": INTEGER, "best_s": NUMBER, "speedup": NUMBER,
                 "efficiency": NUMBER}),
    "eig": ({"n": NUMBER},
            {"name": STRING, "solver": STRING, "nev": INTEGER, "converged": INTEGER, "products": NUMBER,
             "solve_s": NUMBER, "products_s": NUMBER, "basis_s": NUMBER, "projected_s": NUMBER}),
    "io": ({},
           {"name": STRING, "dataset": STRING, "ranks": INTEGER, "bytes": NUMBER, "best_s": NUMBER,
            "gbytes_per_s": NUMBER}),
}


# ----------------------------------------------------------------------------- reading

def num(mapping, key):
    """A number of a record or row as float; null (non-finite) and absent as NaN."""
    value = mapping.get(key)
    if value is None or isinstance(value, (str, bool, list, dict)):
        return float("nan")
    return float(value)


class Record:
    """One benchmark record: its file, its number in the report (#1, #2, ...) and its JSON object."""

    def __init__(self, path, data, number=0):
        self.path = os.path.abspath(path)
        self.data = data
        self.number = number
        self.suite = data["suite"]
        self.rows = data["rows"]

    def get(self, key, default=None):
        value = self.data.get(key, default)
        return default if value is None else value

    @property
    def tag(self):
        return f"#{self.number}"

    def machine(self):
        """hostname, ranks and device, e.g. `vm, 2 ranks, cpu`."""
        ranks = int(self.data["ranks"])
        text = f"{self.data['hostname']}, {ranks} rank{'s' if ranks != 1 else ''}"
        device = self.get("device")
        if device:
            text += f", {device}"
        elif self.get("gpus"):
            text += f", {self.get('gpus')} GPU{'s' if self.get('gpus') != 1 else ''}"
        return text


def _type_ok(value, kind):
    if kind == STRING:
        return isinstance(value, str)
    if kind == INTEGER:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


def validate(path, data):
    """Raise an ArchiveError naming the file and the key when `data` is not a usable bench record."""
    if not isinstance(data, dict):
        raise ArchiveError(f"{path}: not a hesscov bench record (a JSON {type(data).__name__}, not an object)")
    if "format" not in data:
        raise ArchiveError(f"{path}: key 'format' is missing (not a hesscov bench record; expected {FORMAT!r})")
    if data["format"] != FORMAT:
        raise ArchiveError(f"{path}: key 'format' is {data['format']!r}, not {FORMAT!r} "
                           f"(not a hesscov bench record this analysis reads)")
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise ArchiveError(f"{path}: key 'schema_version' is {version!r}; this analysis reads {SCHEMA_VERSION}")
    for key, kind in COMMON_KEYS.items():
        _check(path, data, key, kind, "")
    if "rows" not in data:
        raise ArchiveError(f"{path}: key 'rows' is missing (the record's measurements)")
    rows = data["rows"]
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise ArchiveError(f"{path}: key 'rows' is {'empty' if rows == [] else 'not a list of objects'} "
                           f"(the record's measurements)")
    suite = data["suite"]
    if suite not in NEEDED:
        return
    record_keys, row_keys = NEEDED[suite]
    for key, kind in record_keys.items():
        _check(path, data, key, kind, "", f"the {suite} table and figure")
    if suite == "scaling" and data["mode"] not in ("strong", "weak"):
        raise ArchiveError(f"{path}: key 'mode' is {data['mode']!r}, not 'strong' or 'weak'")
    for i, row in enumerate(rows):
        where = f"rows[{i}]" + (f" ({row['name']})" if isinstance(row.get("name"), str) else "")
        for key, kind in row_keys.items():
            _check(path, row, key, kind, where, f"the {suite} table and figure")


def _check(path, mapping, key, kind, where, needed_for=None):
    place = f"{where}." if where else ""
    for_what = f" (needed for {needed_for})" if needed_for else ""
    if key not in mapping:
        raise ArchiveError(f"{path}: key '{place}{key}' is missing{for_what}")
    if not _type_ok(mapping[key], kind):
        raise ArchiveError(f"{path}: key '{place}{key}' is {json.dumps(mapping[key])}, not {kind}{for_what}")


def _plain(value):
    """An HDF5 attribute as JSON would have it: str, int, float, None for non-finite."""
    from .reader import decode
    value = decode(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _read_h5(path):
    """The record of a .h5 without its JSON twin: root attributes, /row_names, /rows/<name> attributes."""
    import h5py
    try:
        handle = h5py.File(path, "r")
    except OSError as error:
        raise ArchiveError(f"{path}: not an HDF5 file and no JSON twin {os.path.splitext(path)[0]}.json "
                           f"({error})") from None
    with handle:
        data = {key: _plain(value) for key, value in handle.attrs.items()}
        if "row_names" not in handle or "rows" not in handle:
            raise ArchiveError(f"{path}: /{'row_names' if 'row_names' not in handle else 'rows'} is missing "
                               f"(a bench record's rows)")
        names = _plain(handle["row_names"][()])
        rows = []
        for name in names if isinstance(names, list) else [names]:
            if name not in handle["rows"]:
                raise ArchiveError(f"{path}: /rows/{name} is missing (listed in /row_names)")
            row = {"name": name}
            row.update({key: _plain(value) for key, value in handle["rows"][name].attrs.items()})
            rows.append(row)
        data["rows"] = rows
    return data


def read_record(path, number=0):
    """The Record of a .json (or .h5: its .json twin, else the HDF5 itself); ArchiveError when malformed."""
    if path.endswith(".h5"):
        twin = path[:-3] + ".json"
        if os.path.exists(twin):
            path = twin
        else:
            data = _read_h5(path)
            validate(path, data)
            return Record(path, data, number)
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as error:
        raise ArchiveError(f"{path}: not JSON ({error.msg} at line {error.lineno} column {error.colno}); "
                           f"a bench record is one JSON object") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ArchiveError(f"{path}: cannot be read ({error})") from None
    validate(path, data)
    return Record(path, data, number)


def _looks_like_record(path):
    """Whether a JSON file found in a folder claims to be a bench record (its format starts hesscov-bench)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return True          # a broken file named .json among records: an error, by read_record
    return isinstance(data, dict) and str(data.get("format", "")).startswith("hesscov-bench")


def collection_files(path):
    """The records a `hesscov bench collect` file (format hesscov-bench-collection-1) lists, or None."""
    if not path.endswith(".h5") or os.path.exists(path[:-3] + ".json"):
        return None
    import h5py
    try:
        with h5py.File(path, "r") as handle:
            from .reader import decode
            if decode(handle.attrs.get("format", b"")) != COLLECTION_FORMAT:
                return None
            files = decode(handle.attrs.get("files", b""))
    except OSError:
        return None
    folder = os.path.dirname(os.path.abspath(path))
    return [os.path.join(folder, line) for line in str(files).splitlines() if line.strip()]


def load(inputs, log=print):
    """The records of the inputs (files and folders), numbered in order; ([Record], [note])."""
    files, notes = [], []
    for item in inputs:
        if not os.path.exists(item):
            raise ArchiveError(f"{item}: no such file or folder")
        if os.path.isdir(item):
            found = []
            for folder, subfolders, names in os.walk(item):
                subfolders.sort()
                found += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".json")]
            for path in found:
                if _looks_like_record(path):
                    files.append(path)
                else:
                    notes.append(f"{path}: not a hesscov bench record (no format hesscov-bench-*), skipped")
        else:
            listed = collection_files(item)
            if listed is None:
                files.append(item)
            else:
                for path in listed:
                    if not os.path.exists(path):
                        raise ArchiveError(f"{item}: lists {path}, which does not exist (run `hesscov bench "
                                           f"collect {os.path.dirname(os.path.abspath(item))}` again)")
                files += listed
    records, seen = [], set()
    for path in files:
        record = read_record(path, len(records) + 1)
        key = os.path.realpath(record.path)
        if key in seen:
            continue
        seen.add(key)
        records.append(record)
    for record in records:
        if record.suite not in SUITES:
            notes.append(f"{record.path}: suite {record.suite!r} has no table or figure here "
                         f"(known: {', '.join(SUITES)}), skipped")
    for line in notes:
        log("note: " + line)
    return records, notes
