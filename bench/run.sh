#!/usr/bin/env bash
# End-to-end benchmark harness for vigil (issue 6: speed at catalogue scale).
#
#   bench/run.sh [options]
#
# Builds vigil and the workload generator in release mode, generates workloads
# (cached under bench/out/), and prints a markdown report: events/s, MB/s and
# peak RSS for
#   (a) the parse-only floor, (b) one simple rule (SSH Key Generated via
#   ssh-keygen), (c) the whole catalogue (`vigil hunt`, skipped until it exists),
# each with 1 thread and all threads where the command takes --threads; the
# JSON DOM parse floors (serde_json, simd-json, sonic-rs); and, with --python,
# Elastic's Python eql engine on the same rule and events, with the ratio and a
# check that both found the same events.
#
# Options:
#   --sizes "N M ..."   workload sizes in events (default: "100000 1000000")
#   --seed S            workload seed (default 1)
#   --reps N            timed runs per case; with hyperfine the mean is reported
#                       (default 3; 1 = a single /usr/bin/time run)
#   --python            also run Python eql (needs bench/python_eql.sh --install,
#                       or pass --install to do it now)
#   --install           create bench/.venv with Python eql first (implies --python)
#   --python-size N     workload size for the Python comparison (default: the smallest)
#   --python-rounds N   interleaved Python / `vigil query --threads 1` pairs after
#                       it, each giving a ratio (default 3; 0 = none): on a
#                       shared machine the two engines drift apart between runs
#   --scaling-rounds N  interleaved rounds (first size) of one rule at 1 thread,
#                       the catalogue at 1 thread and at all threads, giving the
#                       catalogue / one rule ratio and the speed-up with the
#                       machine's drift shared within a round (default 3; 0 = none)
#   --callgrind         also count instructions with valgrind (10k events)
#   --verify            also check that every injected scenario fires its rule
#                       (vigil query per rule over 50k events, attack rate 0.01)
#   --no-build          use the binaries already built
#   --out FILE          also write the report here (default bench/out/report.md)
#
# Environment: CARGO_TARGET_DIR (default target/), VIGIL_CORPUS (default
# ../shared/corpus beside the repository).
# Needs: GNU time for peak RSS (`apt-get install time`); hyperfine for repeated
# timing (`apt-get install hyperfine` or `cargo install hyperfine`), optional;
# valgrind for --callgrind (`apt-get install valgrind`).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
corpus="${VIGIL_CORPUS:-$root/../shared/corpus}"
rules_dir="$corpus/detection-rules/rules"
bb_rules_dir="$corpus/detection-rules/rules_building_block"
ssh_rule="$rules_dir/linux/persistence_ssh_key_generation.toml"
target="${CARGO_TARGET_DIR:-$root/target}"
VIGIL="$target/release/vigil"
WORKLOAD="$target/release/vigil-workload"
PARSE_FLOOR="$target/release/examples/parse_floor"
out_dir="$here/out"

sizes="100000 1000000"
seed=1
reps=3
python=0
install=0
python_size=""
python_rounds=3
scaling_rounds=3
callgrind=0
verify=0
build=1
report="$out_dir/report.md"

while [[ $# -gt 0 ]]; do
    case "$1" in
        --sizes) sizes="$2"; shift 2 ;;
        --seed) seed="$2"; shift 2 ;;
        --reps) reps="$2"; shift 2 ;;
        --python) python=1; shift ;;
        --install) install=1; python=1; shift ;;
        --python-size) python_size="$2"; shift 2 ;;
        --python-rounds) python_rounds="$2"; shift 2 ;;
        --scaling-rounds) scaling_rounds="$2"; shift 2 ;;
        --callgrind) callgrind=1; shift ;;
        --verify) verify=1; shift ;;
        --no-build) build=0; shift ;;
        --out) report="$2"; shift 2 ;;
        -h|--help) sed -n '2,42p' "$0"; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

log() { printf '%s\n' "$*" >&2; }

# ---------------------------------------------------------------------------
# The command lines measured. Each sets CMD for one input file; thread options
# are appended by `run_case`. The parse-only floor is `vigil hunt --parse-only`
# with the whole catalogue loaded: the same reader, workers, registry (only
# the fields some rule reads are materialised) and index derivation as (c),
# nothing evaluated.
# ---------------------------------------------------------------------------
ssh_query=""
parse_only_cmd() { CMD=("$VIGIL" hunt --parse-only --rules "$rules_dir" --rules "$bb_rules_dir" "$1"); }
one_rule_cmd() { CMD=("$VIGIL" hunt --format ndjson --rules "$ssh_rule" "$1"); }
# Against Python eql: the same rule's query through `vigil query` (prints the
# matching events, which compare_matches.py checks against Python's), on one
# thread (Python's engine uses one) unless a thread count is given.
query_rule_cmd() { CMD=("$VIGIL" query --threads "${2:-1}" --format ndjson "$ssh_query" "$1"); }
catalogue_cmd() { CMD=("$VIGIL" hunt --format ndjson --rules "$rules_dir" --rules "$bb_rules_dir" "$1"); }
# Start-up alone: the catalogue read and compiled, an empty input.
startup_cmd() { CMD=("$VIGIL" hunt --format ndjson --rules "$rules_dir" --rules "$bb_rules_dir" "$1"); }
# The vigil subcommand each case runs (to probe for --threads / existence).
parse_only_sub=hunt
one_rule_sub=hunt
catalogue_sub=hunt
startup_sub=hunt

has_subcommand() { "$VIGIL" "$1" --help >/dev/null 2>&1; }
has_threads() { "$VIGIL" "$1" --help 2>/dev/null | grep -q -- '--threads'; }

# ---------------------------------------------------------------------------
check_prerequisites() {
    [[ -d "$rules_dir" ]] || { log "no detection-rules catalogue at $rules_dir (set VIGIL_CORPUS)"; exit 2; }
    if [[ -x /usr/bin/time ]] && /usr/bin/time -f %M true 2>/dev/null; then
        have_time=1
    else
        have_time=0
        log "note: GNU time not found, peak RSS will be n/a (install: apt-get install time)"
    fi
    if command -v hyperfine >/dev/null; then have_hyperfine=1; else
        have_hyperfine=0
        log "note: hyperfine not found, timing single runs (install: apt-get install hyperfine)"
    fi
}

build_binaries() {
    [[ $build == 1 ]] || return 0
    log "building vigil, vigil-workload and parse_floor (release)…"
    (cd "$root" && cargo build --release --locked -p cli -p workload --bins --example parse_floor >&2)
}

# workload_file SIZE -> path (generated once, cached with its stats)
workload_file() {
    local n="$1" f="$out_dir/w${1}-s${seed}.ndjson"
    if [[ ! -s "$f" || ! -s "$f.stats.json" ]]; then
        log "generating $n events (seed $seed) → $f"
        "$WORKLOAD" --events "$n" --seed "$seed" --out "$f" --stats "$f.stats.json" >&2
    fi
    printf '%s' "$f"
}

json_field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval("d"+sys.argv[2]))' "$1" "$2"; }

# measure FILE: runs CMD; sets WALL (s, mean over reps) and RSS (KB, peak of one run)
measure() {
    local file="$1" tmp
    tmp="$(mktemp)"
    if [[ $have_time == 1 ]]; then
        /usr/bin/time -f '%e %M' -o "$tmp" "${CMD[@]}" >/dev/null 2>"$tmp.err" || status=$?
        read -r WALL RSS <"$tmp"
    else
        local t0 t1
        t0=$(date +%s.%N); "${CMD[@]}" >/dev/null 2>"$tmp.err" || true; t1=$(date +%s.%N)
        WALL=$(python3 -c "print($t1-$t0)"); RSS="n/a"
    fi
    if [[ $have_hyperfine == 1 && $reps -gt 1 ]]; then
        local shell_cmd
        shell_cmd="$(printf '%q ' "${CMD[@]}") >/dev/null"
        if hyperfine --shell bash --style none --warmup 1 --runs "$reps" --export-json "$tmp.json" \
            -- "$shell_cmd" >/dev/null 2>"$tmp.err"; then
            WALL=$(json_field "$tmp.json" "['results'][0]['mean']")
        else
            log "hyperfine failed (reporting the single /usr/bin/time run): $(tail -1 "$tmp.err")"
        fi
    fi
    rm -f "$tmp" "$tmp.err" "$tmp.json"
}

rate_row() { # label threads file events bytes
    local label="$1" threads="$2" events="$4" bytes="$5"
    python3 - "$label" "$threads" "$events" "$bytes" "$WALL" "$RSS" <<'PY'
import sys
label, threads, events, nbytes, wall, rss = sys.argv[1:]
events, nbytes, wall = int(events), int(nbytes), float(wall)
rss = f"{int(rss)/1024:.0f}" if rss.isdigit() else rss
eps, mbs = (f"{events/wall:,.0f}", f"{nbytes/1e6/wall:,.1f}") if events else ("–", "–")
print(f"| {label} | {threads} | {events:,} | {wall:.2f} | {eps} | {mbs} | {rss} |")
PY
}

# One-thread wall times by "case|events", for the ratios under the table.
declare -A T1=()

# run_case LABEL CMD_FN SUB FILE EVENTS BYTES
run_case() {
    local label="$1" cmd_fn="$2" sub="$3" file="$4" events="$5" bytes="$6"
    if ! has_subcommand "$sub"; then
        echo "| $label | – | $(python3 -c "print(f'{$events:,}')") | skipped: \`vigil $sub\` not available yet | | | |"
        return
    fi
    "$cmd_fn" "$file"
    measure "$file"
    if has_threads "$sub"; then
        local base=("${CMD[@]}")
        CMD=("${base[@]}" --threads 1); measure "$file"; rate_row "$label" 1 "$file" "$events" "$bytes"
        T1["$cmd_fn|$events"]=$WALL
        CMD=("${base[@]}" --threads "$(nproc)"); measure "$file"; rate_row "$label" "$(nproc)" "$file" "$events" "$bytes"
    else
        rate_row "$label" "1 (no --threads)" "$file" "$events" "$bytes"
        T1["$cmd_fn|$events"]=$WALL
    fi
}

# Time ratios the issue sets targets for (1 thread): one rule / parse-only,
# catalogue / one rule (target <= 2.0).
ratio_lines() {
    local n events a b c
    for n in $sizes; do
        events=$(json_field "$(workload_file "$n").stats.json" "['events']")
        a="${T1["parse_only_cmd|$events"]:-}"; b="${T1["one_rule_cmd|$events"]:-}"; c="${T1["catalogue_cmd|$events"]:-}"
        s="${T1["startup_cmd|0"]:-}"
        python3 - "$events" "$a" "$b" "$c" "$s" <<'PY'
import sys
n, a, b, c, s = sys.argv[1], *[float(x) if x else None for x in sys.argv[2:]]
parts = []
if a and b: parts.append(f"one rule / parse-only = {b / a:.2f}")
if b and c: parts.append(f"catalogue / one rule = {c / b:.2f} (target ≤ 2.0)")
if a and c: parts.append(f"catalogue / parse-only = {c / a:.2f}")
print(f"- {int(n):,} events, time ratios at 1 thread: " + ("; ".join(parts) if parts else "n/a"))
if s and a and c and a > s and c > s:
    n = int(n)
    print(f"- {n:,} events, 1 thread, the catalogue's start-up ({s:.2f} s) subtracted: "
          f"parse-only {n / (a - s):,.0f} events/s, whole catalogue {n / (c - s):,.0f} events/s")
PY
    done
}

machine_description() {
    echo "## Machine"
    echo
    echo '```'
    lscpu | grep -E '^(Model name|CPU\(s\)|Thread|Core|Socket|L2|L3|Hypervisor)' || true
    free -h | head -2
    rustc --version
    echo "vigil $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?') ($(date -u +%Y-%m-%dT%H:%MZ))"
    echo '```'
    echo
}

vigil_table() {
    echo "## vigil end to end"
    echo
    echo "Parse-only floor: \`vigil $(parse_only_cmd FILE; printf '%q ' "${CMD[@]:1}")\`;"
    echo "one rule: \`vigil hunt\` with rules/linux/persistence_ssh_key_generation.toml;"
    echo "catalogue: \`vigil $(catalogue_cmd FILE; printf '%q ' "${CMD[@]:1}" | sed "s#$bb_rules_dir#BB#;s#$rules_dir#RULES#")\` (RULES, BB = the catalogue's rules/ and rules_building_block/). Time: $( [[ $have_hyperfine == 1 && $reps -gt 1 ]] && echo "hyperfine mean of $reps runs" || echo "one run"); RSS: peak of one run (GNU time)."
    echo
    echo "| case | threads | events | wall s | events/s | MB/s | peak RSS MB |"
    echo "|---|---|---:|---:|---:|---:|---:|"
    local empty="$out_dir/empty.ndjson"
    : >"$empty"
    run_case "(s) start-up: catalogue, no events" startup_cmd "$startup_sub" "$empty" 0 0
    for n in $sizes; do
        local f events bytes
        f="$(workload_file "$n")"
        events=$(json_field "$f.stats.json" "['events']")
        bytes=$(json_field "$f.stats.json" "['bytes']")
        run_case "(a) parse-only floor" parse_only_cmd "$parse_only_sub" "$f" "$events" "$bytes"
        run_case "(b) one rule (SSH key)" one_rule_cmd "$one_rule_sub" "$f" "$events" "$bytes"
        run_case "(c) whole catalogue" catalogue_cmd "$catalogue_sub" "$f" "$events" "$bytes"
    done
    echo
    ratio_lines
    scaling_rounds_line
    echo
}

# Interleaved rounds: one rule at 1 thread, the catalogue at 1 thread, then at
# all threads, one timed run each (start-up included, as in the table), so that
# the ratios compare runs made with the machine in the same state.
scaling_rounds_line() {
    local n f events r t0 t1 t2 t3 ratios=() speedups=()
    [[ $scaling_rounds -gt 0 ]] || return 0
    n="$(first_size)"
    f="$(workload_file "$n")"
    events=$(json_field "$f.stats.json" "['events']")
    log "interleaving $scaling_rounds rounds: one rule, catalogue at 1 and $(nproc) threads …"
    one_rule_cmd "$f"
    local one=("${CMD[@]}")
    catalogue_cmd "$f"
    local base=("${CMD[@]}")
    for ((r = 1; r <= scaling_rounds; r++)); do
        t0=$(date +%s.%N)
        "${one[@]}" --threads 1 >/dev/null 2>&1
        t1=$(date +%s.%N)
        "${base[@]}" --threads 1 >/dev/null 2>&1
        t2=$(date +%s.%N)
        "${base[@]}" --threads "$(nproc)" >/dev/null 2>&1
        t3=$(date +%s.%N)
        ratios+=("$(python3 -c "print(f'{($t2 - $t1) / ($t1 - $t0):.2f}')")")
        speedups+=("$(python3 -c "print(f'{($t2 - $t1) / ($t3 - $t2):.2f}')")")
    done
    python3 - "$events" "$(nproc)" "${ratios[*]}" "${speedups[*]}" <<'PY'
import statistics, sys
events, cores = int(sys.argv[1]), sys.argv[2]
ratios, speedups = ([float(x) for x in a.split()] for a in sys.argv[3:5])
print(f"- {events:,} events, interleaved rounds (one rule, then the catalogue at 1 and {cores} threads, "
      f"one run each): catalogue / one rule at 1 thread {', '.join(f'{x:.2f}' for x in ratios)}; "
      f"median **{statistics.median(ratios):.2f}** (target ≤ 2.0); catalogue speed-up at {cores} threads "
      f"{', '.join(f'{x:.2f}×' for x in speedups)}; median **{statistics.median(speedups):.2f}×** "
      f"(target ≥ 1.6 on 2 cores)")
PY
}

parse_floor_table() {
    local f
    f="$(workload_file "$(first_size)")"
    echo "## JSON parse floors (1 thread, $(basename "$f"))"
    echo
    "$PARSE_FLOOR" "$f" --reps "$((reps > 1 ? reps : 1))"
    echo
}

first_size() { local s; for s in $sizes; do echo "$s"; return; done; }

python_section() {
    [[ $python == 1 ]] || return 0
    [[ $install == 1 ]] && "$here/python_eql.sh" --install >&2
    local n="${python_size:-$(first_size)}" f py vig_matches py_matches
    f="$(workload_file "$n")"
    log "running Python eql over $f …"
    py="$("$here/python_eql.sh" --rule "$ssh_rule" "$f" --matches "$out_dir/python_matches.tsv")"
    query_rule_cmd "$f" "$(nproc)"
    measure "$f"
    local wall_all="$WALL"
    query_rule_cmd "$f"
    measure "$f"
    "${CMD[@]}" >"$out_dir/vigil_matches.ndjson"
    vig_matches=$(grep -c . "$out_dir/vigil_matches.ndjson" || true)
    py_matches=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["matches"])' "$py")
    local same="no"
    if python3 "$here/compare_matches.py" "$out_dir/python_matches.tsv" "$out_dir/vigil_matches.ndjson" >&2; then
        same="yes"
    fi
    python3 - "$py" "$WALL" "$vig_matches" "$same" "$n" "$wall_all" "$(nproc)" <<'PY'
import json, sys
py = json.loads(sys.argv[1]); wall = float(sys.argv[2]); vm = int(sys.argv[3]); same = sys.argv[4]
wall_all = float(sys.argv[6]); cores = int(sys.argv[7])
n = py["events"]
v_eps = n / wall
v_all = n / wall_all
print("## Python eql vs vigil (one rule, end to end, 1 thread)\n")
print(f"Rule: {py['rule_name']} ({py['rule_id']}); {n:,} events; {py['engine']}, Python {py['python']}.\n")
print("| engine | what | events/s | MB/s | matches |")
print("|---|---|---:|---:|---:|")
print(f"| Python eql | JSON parse + match | {py['end_to_end_events_per_second']:,} | {py['end_to_end_mb_per_second']} | {py['matches']} |")
print(f"| Python eql | match only (pre-parsed, {py['match_only_events']:,} events) | {py['match_only_events_per_second']:,} | | {py['match_only_matches']} |")
print(f"| vigil query | end to end | {v_eps:,.0f} | {py['bytes']/1e6/wall:,.1f} | {vm} |")
print(f"| vigil query --threads {cores} | end to end, all cores | {v_all:,.0f} | {py['bytes']/1e6/wall_all:,.1f} | {vm} |")
print(f"\nvigil / Python eql end to end, 1 thread: **{v_eps / py['end_to_end_events_per_second']:.1f}×**; "
      f"all {cores} cores: {v_all / py['end_to_end_events_per_second']:.1f}×; same matching events: **{same}**.\n")
PY
    python_rounds_line "$f" "$n"
}

# Interleaved pairs: Python eql end to end, then `vigil query --threads 1`, one
# timed run each, so that both see the machine in the same state.
python_rounds_line() {
    local f="$1" n="$2" r p py_eps t0 t1 ratios=()
    [[ $python_rounds -gt 0 ]] || return 0
    log "interleaving $python_rounds Python / vigil query rounds …"
    query_rule_cmd "$f"
    for ((r = 1; r <= python_rounds; r++)); do
        p="$("$here/python_eql.sh" --rule "$ssh_rule" "$f" --match-limit 0 2>/dev/null)"
        py_eps=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["end_to_end_events_per_second"])' "$p")
        t0=$(date +%s.%N)
        "${CMD[@]}" >/dev/null 2>&1
        t1=$(date +%s.%N)
        ratios+=("$(python3 -c "print(f'{$n / ($t1 - $t0) / $py_eps:.1f}')")")
    done
    python3 - "${ratios[@]}" <<'PY'
import statistics, sys
r = [float(x) for x in sys.argv[1:]]
print(f"Interleaved pairs (Python eql, then `vigil query --threads 1`, one run each): "
      f"{', '.join(f'{x:.1f}×' for x in r)}; median **{statistics.median(r):.1f}×**.\n")
PY
}

callgrind_section() {
    [[ $callgrind == 1 ]] || return 0
    command -v valgrind >/dev/null || { log "valgrind not found (apt-get install valgrind); skipping --callgrind"; return 0; }
    local f
    f="$(workload_file 10000)"
    echo "## Instruction counts (valgrind callgrind, 10,000 events)"
    echo
    echo "| case | instructions (Ir) | Ir / event |"
    echo "|---|---:|---:|"
    local fn label
    for fn in parse_only_cmd one_rule_cmd; do
        "$fn" "$f"
        label=${fn%_cmd}
        local ir
        ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "${CMD[@]}" 2>&1 >/dev/null \
            | sed -n 's/.*Collected : *\([0-9]*\).*/\1/p' | tail -1)
        echo "| $label | ${ir:-?} | $(( ${ir:-0} / 10000 )) |"
    done
    echo
}

verify_section() {
    [[ $verify == 1 ]] || return 0
    local f="$out_dir/verify-s${seed}.ndjson"
    "$WORKLOAD" --events 50000 --seed "$seed" --attack-rate 0.01 --out "$f" --stats "$f.stats.json" >&2
    echo "## Injected scenarios vs their rules (vigil query, 50,000 events, attack rate 0.01)"
    echo
    echo '```'
    python3 "$here/verify_scenarios.py" "$VIGIL" "$f" "$f.stats.json" "$rules_dir" || true
    echo '```'
    echo
}

main() {
    check_prerequisites
    build_binaries
    mkdir -p "$out_dir"
    ssh_query="$(python3 -c 'import sys,tomllib; print(tomllib.load(open(sys.argv[1],"rb"))["rule"]["query"])' "$ssh_rule")"
    {
        echo "# vigil benchmark report"
        echo
        machine_description
        local f
        f="$(workload_file "$(first_size)")"
        echo "Workload: \`vigil-workload --seed $seed\`, mean $(json_field "$f.stats.json" "['mean_event_bytes']" | cut -d. -f1) B/event."
        echo
        vigil_table
        parse_floor_table
        python_section
        callgrind_section
        verify_section
    } | tee "$report"
    log "report written to $report"
}

main
