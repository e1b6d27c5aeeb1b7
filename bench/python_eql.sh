#!/usr/bin/env bash
# Elastic's Python `eql` engine (PyPI `eql`, PythonEngine, Elasticsearch syntax)
# running one catalogue rule end to end over an NDJSON workload.
#
#   bench/python_eql.sh --install                 create bench/.venv and pip install eql
#   bench/python_eql.sh [--rule FILE] EVENTS.ndjson [python_eql.py options]
#
# Default rule: the catalogue's "SSH Key Generated via ssh-keygen". Prints a
# summary on stderr and one JSON object on stdout (see bench/python_eql.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="$here/.venv"
corpus="${VIGIL_CORPUS:-$here/../../shared/corpus}"
rule="$corpus/detection-rules/rules/linux/persistence_ssh_key_generation.toml"
EQL_VERSION="${EQL_VERSION:-1.0.1}"

if [[ "${1:-}" == "--install" ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "eql==$EQL_VERSION"
    "$venv/bin/python" -c 'import eql; print("installed python eql", eql.__version__)'
    exit 0
fi
if [[ "${1:-}" == "--rule" ]]; then
    rule="$2"
    shift 2
fi
if [[ $# -lt 1 ]]; then
    sed -n '2,10p' "$0" >&2
    exit 2
fi
if [[ ! -x "$venv/bin/python" ]]; then
    echo "python_eql.sh: no virtualenv at $venv; run: bench/python_eql.sh --install" >&2
    exit 2
fi
events="$1"
shift
exec "$venv/bin/python" "$here/python_eql.py" --rule "$rule" --events "$events" "$@"
