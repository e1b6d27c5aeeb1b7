#!/usr/bin/env python3
"""Run Elastic's Python `eql` engine (PyPI `eql`, PythonEngine, Elasticsearch
syntax) with one catalogue rule over an NDJSON workload, and report throughput.

Two measurements:
  end-to-end  read lines, json.loads, wrap as eql.Event, stream through the engine
  match-only  the same events pre-parsed and wrapped first (up to --match-limit),
              then only streamed through the engine

Event type: the eql Event's type is the rule's event category when the ECS
document lists it in `event.category` (an array, like Elasticsearch's
"any element matches"), else the first category. Output: a human summary on
stderr and one JSON object on stdout; with --matches FILE, one line per
matching event (`line_number<TAB>@timestamp<TAB>host.name<TAB>file.path or
process.command_line`), for comparing with `vigil query`.
"""

import argparse
import json
import sys
import time
import tomllib

import eql
from eql.parser import elasticsearch_syntax, ignore_missing_functions


def load_rule(path):
    with open(path, "rb") as f:
        rule = tomllib.load(f)["rule"]
    if rule.get("language") != "eql":
        sys.exit(f"{path}: not an EQL rule")
    return rule


def compile_query(text):
    with elasticsearch_syntax, ignore_missing_functions:
        return eql.parse_query(text)


def query_category(query):
    """The event category named by `<category> where ...` (None for `any`)."""
    first = query.first
    event_type = getattr(first, "event_type", None)
    if event_type in (None, "any"):
        return None
    return event_type


def to_event(doc, category, line_no):
    cats = (doc.get("event") or {}).get("category")
    if isinstance(cats, str):
        cats = [cats]
    if not cats:
        ev_type = "generic"
    elif category is not None and category in cats:
        ev_type = category
    else:
        ev_type = cats[0]
    return eql.Event(ev_type, line_no, doc)


def describe(doc):
    def get(path):
        v = doc
        for p in path.split("."):
            if not isinstance(v, dict):
                return ""
            v = v.get(p)
        return "" if v is None else str(v)

    detail = get("file.path") or get("process.command_line")
    return f'{get("@timestamp")}\t{get("host.name")}\t{detail}'


def result_events(result):
    """Events of one engine output (a list, or an object with `.events`)."""
    return result if isinstance(result, list) else result.events


def make_engine(query, sink):
    engine = eql.PythonEngine()
    engine.add_query(query)
    engine.add_output_hook(sink)
    return engine


def end_to_end(path, query, category):
    hits = []

    def sink(result):
        for ev in result_events(result):
            hits.append(ev.time)

    engine = make_engine(query, sink)
    n = 0
    nbytes = 0
    start = time.perf_counter()
    with open(path, "rb") as f:
        for line_no, line in enumerate(f, 1):
            nbytes += len(line)
            if not line.strip():
                continue
            doc = json.loads(line)
            n += 1
            engine.stream_event(to_event(doc, category, line_no))
    engine.finalize()
    wall = time.perf_counter() - start
    return n, nbytes, hits, wall


def match_only(path, query, category, limit):
    events = []
    with open(path, "rb") as f:
        for line_no, line in enumerate(f, 1):
            if len(events) >= limit:
                break
            if line.strip():
                events.append(to_event(json.loads(line), category, line_no))
    count = [0]

    def sink(result):
        count[0] += len(result_events(result))

    engine = make_engine(query, sink)
    start = time.perf_counter()
    engine.stream_events(events, finalize=True)
    wall = time.perf_counter() - start
    return len(events), count[0], wall


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rule", required=True, help="detection-rules TOML file (EQL rule)")
    ap.add_argument("--events", required=True, help="NDJSON workload file")
    ap.add_argument("--match-limit", type=int, default=200_000,
                    help="events pre-parsed for the match-only run (memory bound)")
    ap.add_argument("--matches", help="write matching events here (one line each)")
    args = ap.parse_args()

    rule = load_rule(args.rule)
    query = compile_query(rule["query"])
    category = query_category(query)

    n, nbytes, hits, wall = end_to_end(args.events, query, category)
    m_events, m_count, m_wall = match_only(args.events, query, category, args.match_limit)

    if args.matches:
        wanted = set(hits)
        with open(args.events, "rb") as f, open(args.matches, "w") as out:
            for line_no, line in enumerate(f, 1):
                if line_no in wanted:
                    out.write(f"{line_no}\t{describe(json.loads(line))}\n")

    result = {
        "engine": f"python eql {eql.__version__}",
        "python": sys.version.split()[0],
        "rule_id": rule.get("rule_id"),
        "rule_name": rule.get("name"),
        "events": n,
        "bytes": nbytes,
        "matches": len(hits),
        "end_to_end_seconds": round(wall, 3),
        "end_to_end_events_per_second": round(n / wall) if wall else None,
        "end_to_end_mb_per_second": round(nbytes / 1e6 / wall, 2) if wall else None,
        "match_only_events": m_events,
        "match_only_matches": m_count,
        "match_only_seconds": round(m_wall, 3),
        "match_only_events_per_second": round(m_events / m_wall) if m_wall else None,
    }
    print(
        f"python eql {eql.__version__}: {rule.get('name')}\n"
        f"  end to end : {n} events, {len(hits)} matches, {wall:.2f} s, "
        f"{result['end_to_end_events_per_second']} events/s, {result['end_to_end_mb_per_second']} MB/s\n"
        f"  match only : {m_events} events, {m_count} matches, {m_wall:.2f} s, "
        f"{result['match_only_events_per_second']} events/s",
        file=sys.stderr,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
