#!/usr/bin/env python3
"""Reads archives written by the io layer with h5py and checks them against the writer's manifest.

The manifest (JSON, written by tests/io/archive_manifest.cc) lists, per file, every group, every
dataset (path, dtype, shape, values, optionally chunks/compression/shuffle) and every attribute
(object, name, type, value or pattern). This script asserts that the set of groups, datasets and
attributes h5py finds is exactly the manifest's -- nothing missing, nothing extra -- and that every
value is exactly equal (fp64 compared bit for bit). Groups are walked by opening each member, so
external links (views, the index) are followed the way a user's h5py code follows them; the check
runs from a working directory that is not the archive's, so relative links must resolve on their own.

  check_archive.py --writer "mpiexec -np 2 io_archive_manifest" --workdir DIR   # write, then check
  check_archive.py --workdir DIR                                               # check what is there
Exit status: 0 all equal, 1 a difference (each one printed), 77 h5py or numpy missing (skip).
"""
import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as missing:
    print(f"SKIP: this test needs h5py and numpy ({missing})")
    sys.exit(77)

NUMPY_TYPES = {"f64": np.float64, "i64": np.int64}


def walk(group, path, found):
    """Every group, dataset and attribute under `group`, following links."""
    for name, value in group.attrs.items():
        found["attributes"][(path or "/", name)] = value
    for name in group:
        member = group[name]  # opens external links; a dangling one raises here
        child = f"{path}/{name}"
        if isinstance(member, h5py.Group):
            found["groups"].add(child)
            walk(member, child, found)
        else:
            found["datasets"][child] = member
            for attribute, value in member.attrs.items():
                found["attributes"][(child, attribute)] = value


def same_numbers(actual, expected, dtype):
    expected = np.asarray(expected, dtype=dtype)
    if actual.dtype != expected.dtype or actual.shape != expected.shape:
        return False
    if dtype == np.float64:  # bit for bit: -0.0 is not 0.0
        return np.array_equal(actual.view(np.uint64), expected.view(np.uint64))
    return np.array_equal(actual, expected)


def check_strings(actual, expected):
    if actual.dtype.kind != "S":
        return f"dtype {actual.dtype}, expected fixed-length strings"
    values = [bytes(item) for item in actual.reshape(-1)]
    wanted = [text.encode() for text in expected]
    return None if values == wanted else f"values {values}, expected {wanted}"


def check_compound(data, entry):
    names = [name for name, _ in entry["fields"]]
    if list(data.dtype.names or ()) != names:
        return f"fields {data.dtype.names}, expected {names}"
    for row, wanted in enumerate(entry["values"]):
        for (name, dtype), value in zip(entry["fields"], wanted):
            cell = data[row][name]
            if dtype == "str":
                ok = data.dtype[name].kind == "S" and bytes(cell) == value.encode()
            else:
                ok = same_numbers(np.asarray(cell), value, NUMPY_TYPES[dtype])
            if not ok:
                return f"row {row} field {name}: {cell!r}, expected {value!r}"
    return None


def check_storage(dataset, entry):
    for key in ("chunks", "compression", "compression_opts", "shuffle"):
        if key in entry:
            actual = getattr(dataset, key)
            actual = list(actual) if isinstance(actual, tuple) else actual
            if actual != entry[key]:
                return f"{key} {actual!r}, expected {entry[key]!r}"
    return None


def check_dataset(dataset, entry):
    if list(dataset.shape) != entry["shape"]:
        return f"shape {dataset.shape}, expected {entry['shape']}"
    data = dataset[()]
    dtype = entry["dtype"]
    if dtype == "compound":
        problem = check_compound(data, entry)
    elif dtype == "str":
        problem = check_strings(np.asarray(data), entry["values"])
    else:
        ok = same_numbers(np.asarray(data).reshape(-1), entry["values"], NUMPY_TYPES[dtype])
        problem = None if ok else f"values {np.asarray(data).reshape(-1).tolist()}, expected {entry['values']}"
    return problem or check_storage(dataset, entry)


def check_attribute(value, entry):
    kind = entry["type"]
    if kind == "str":
        if not isinstance(value, (bytes, np.bytes_)):
            return f"{value!r} is not a fixed-length string"
        if "pattern" in entry:
            return None if re.fullmatch(entry["pattern"], value.decode()) else f"{value!r} does not match"
        return None if bytes(value) == entry["value"].encode() else f"{value!r}, expected {entry['value']!r}"
    if kind == "str[]":
        return check_strings(np.asarray(value), entry["value"])
    base = kind.rstrip("[]")
    array = np.asarray(value)
    if (array.ndim == 1) != kind.endswith("[]"):
        return f"shape {array.shape} does not fit type {kind}"
    expected = entry["value"] if kind.endswith("[]") else [entry["value"]]
    ok = same_numbers(array.reshape(-1), expected, NUMPY_TYPES[base])
    return None if ok else f"{value!r} ({array.dtype}), expected {entry['value']!r} ({kind})"


def compare_sets(label, actual, expected, problems, file):
    for item in sorted(expected - actual):
        problems.append(f"{file}: missing {label} {item}")
    for item in sorted(actual - expected):
        problems.append(f"{file}: unexpected {label} {item}")


def check_file(workdir, entry, problems):
    file = entry["file"]
    found = {"groups": set(), "datasets": {}, "attributes": {}}
    with h5py.File(os.path.join(workdir, file), "r") as handle:
        walk(handle, "", found)
        compare_sets("group", found["groups"], set(entry["groups"]), problems, file)
        datasets = {item["path"]: item for item in entry["datasets"]}
        compare_sets("dataset", set(found["datasets"]), set(datasets), problems, file)
        for path in sorted(set(found["datasets"]) & set(datasets)):
            problem = check_dataset(found["datasets"][path], datasets[path])
            if problem:
                problems.append(f"{file}: dataset {path}: {problem}")
        attributes = {(item["object"], item["name"]): item for item in entry["attributes"]}
        compare_sets("attribute", set(found["attributes"]), set(attributes), problems, file)
        for key in sorted(set(found["attributes"]) & set(attributes)):
            problem = check_attribute(found["attributes"][key], attributes[key])
            if problem:
                problems.append(f"{file}: attribute {key[0]}@{key[1]}: {problem}")
    return len(datasets), len(attributes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True, help="folder of the archive and its manifest.json")
    parser.add_argument("--writer", help="command that writes the archive into the folder (its last argument)")
    args = parser.parse_args()
    workdir = os.path.abspath(args.workdir)
    if args.writer:
        shutil.rmtree(workdir, ignore_errors=True)
        os.makedirs(workdir)
        written = subprocess.run(shlex.split(args.writer) + [workdir], check=False)
        if written.returncode != 0:
            print(f"FAIL: the writer exited with status {written.returncode}")
            return 1
    with open(os.path.join(workdir, "manifest.json"), encoding="utf-8") as handle:
        manifest = json.load(handle)
    problems, datasets, attributes = [], 0, 0
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as elsewhere:
        os.chdir(elsewhere)  # relative external links must not depend on the working directory
        try:
            for entry in manifest["files"]:
                counts = check_file(workdir, entry, problems)
                datasets, attributes = datasets + counts[0], attributes + counts[1]
        finally:
            os.chdir(here)
    for problem in problems:
        print("FAIL:", problem)
    print(f"checked {len(manifest['files'])} files, {datasets} datasets, {attributes} attributes with h5py "
          f"{h5py.version.version} (HDF5 {h5py.version.hdf5_version}): {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
