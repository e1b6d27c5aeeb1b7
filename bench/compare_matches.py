#!/usr/bin/env python3
"""Compare the events Python eql matched (TSV from python_eql.py --matches)
with the events `vigil query --format ndjson` printed, by (@timestamp,
host.name, file.path or process.command_line). Exit 0 when they are the same
multiset; otherwise print the differences and exit 1.

usage: compare_matches.py PYTHON_MATCHES.tsv VIGIL_MATCHES.ndjson
"""

import json
import sys
from collections import Counter


def get(doc, path):
    v = doc
    for p in path.split("."):
        if not isinstance(v, dict):
            return ""
        v = v.get(p)
    return "" if v is None else str(v)


def vigil_keys(path):
    keys = Counter()
    with open(path) as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                detail = get(d, "file.path") or get(d, "process.command_line")
                keys[(get(d, "@timestamp"), get(d, "host.name"), detail)] += 1
    return keys


def python_keys(path):
    keys = Counter()
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 4:
                keys[tuple(parts[1:])] += 1
    return keys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    py, vg = python_keys(sys.argv[1]), vigil_keys(sys.argv[2])
    if py == vg:
        print(f"same {sum(py.values())} matching events", file=sys.stderr)
        return 0
    for k in sorted((py - vg).keys()):
        print("only Python eql:", *k, file=sys.stderr)
    for k in sorted((vg - py).keys()):
        print("only vigil:", *k, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
