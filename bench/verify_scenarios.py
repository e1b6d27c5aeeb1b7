#!/usr/bin/env python3
"""Check that each injected attack scenario fires its target catalogue rule,
and only as often as injected, by running `vigil query` with the rule's query
over a generated workload.

usage: verify_scenarios.py VIGIL EVENTS.ndjson STATS.json RULES_DIR

STATS.json is what `vigil-workload --stats` wrote for EVENTS. Rules whose
language `vigil query` does not support yet (KQL) are reported as skipped.
Prints one line per rule and exits 1 when a supported rule's count differs.
"""

import json
import subprocess
import sys
import tomllib
from pathlib import Path


def rule_files(rules_dir):
    by_id = {}
    for path in Path(rules_dir).rglob("*.toml"):
        try:
            rule = tomllib.loads(path.read_text())["rule"]
        except (KeyError, tomllib.TOMLDecodeError):
            continue
        by_id[rule.get("rule_id")] = (path, rule)
    return by_id


def run_query(vigil, rule, events):
    language = {"eql": "eql", "kuery": "kql", "lucene": "lucene"}.get(rule.get("language"))
    cmd = [vigil, "query", "--format", "json", "--language", language]
    if rule.get("timestamp_override"):
        # Scheduled rules order by the override; query ordering follows it too.
        cmd += ["--timestamp-field", rule["timestamp_override"]]
    cmd += [rule["query"], events]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        return None, proc.stderr.strip().splitlines()[-1:] or ["failed"]
    # Elasticsearch-shaped response: hits.total counts events or whole sequences.
    return json.loads(proc.stdout)["hits"]["total"]["value"], None


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    vigil, events, stats_path, rules_dir = sys.argv[1:]
    expected = json.loads(Path(stats_path).read_text())["expected_alerts"]
    rules = rule_files(rules_dir)
    bad = 0
    for rule_id, want in sorted(expected.items()):
        path, rule = rules[rule_id]
        got, err = run_query(vigil, rule, events)
        name = f"{rule['name']} ({path.name})"
        if got is None:
            print(f"skip  {rule_id}  {name}: {' '.join(err)}")
        elif got == want:
            print(f"ok    {rule_id}  {name}: {got}")
        else:
            bad += 1
            print(f"FAIL  {rule_id}  {name}: vigil {got}, injected {want}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
