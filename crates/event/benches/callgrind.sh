#!/usr/bin/env bash
# Instructions per event of each parser on a fixed input (see parse_instructions.rs).
# Usage: crates/event/benches/callgrind.sh   (needs valgrind; uses $CARGO_TARGET_DIR or target/)
set -euo pipefail
cd "$(dirname "$0")/../../.."
target="${CARGO_TARGET_DIR:-target}"
cargo bench -p event --bench parse_instructions --no-run 2>/dev/null
bin=$(ls -t "$target"/release/deps/parse_instructions-* | grep -v '\.d$' | head -1)
events=200
printf '%-12s %14s %12s\n' parser instructions per_event
for which in ${PARSERS:-old new new_empty_registry fresh serde_value simd_json sonic_rs}; do
    out=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        --toggle-collect="parse_instructions::measured*" "$bin" "$which" 2>&1)
    ir=$(echo "$out" | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    printf '%-12s %14s %12s\n' "$which" "$ir" "$((ir / events))"
done
