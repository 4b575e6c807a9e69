#!/usr/bin/env bash
# The GPU benchmark: on one CUDA GPU, a K=8-candidate sweep of an MLP, a CNN and a small transformer
# by lrscout's engines (vectorized eager, compiled, CUDA graphs; sequential) against Lightning's
# lr_find, wall time and peak memory, as a markdown table (benchmarks/gpu.py says how it measures).
# Refuses to run without CUDA. Run from anywhere; extra arguments go to benchmarks.gpu (e.g. --json out.json).
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-}"
if [ -z "$python" ]; then
    if [ -x .venv/bin/python ]; then python=.venv/bin/python; else python=python3; fi
fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"      # this checkout's lrscout, installed or not
if ! "$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    echo "benchmarks/gpu.sh needs a CUDA GPU: $python cannot import torch, or its torch sees no GPU" \
         "(torch.cuda.is_available() is False). To check the script's code on a CPU instead:" \
         "python -m benchmarks.gpu --device cpu --dry-run" >&2
    exit 2
fi
"$python" -c 'import torch; print(f"GPU: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}")'
# the whole benchmark is meant to take under 8 minutes; stop it at 8
exec timeout --signal=INT --kill-after=20 480 "$python" -m benchmarks.gpu --device cuda "$@"
