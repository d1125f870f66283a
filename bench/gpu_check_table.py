# SPDX-License-Identifier: MIT
"""Joins the two sides of the GPU check (lcss.jsonl from bench/gpu_check.ts, torch.jsonl from
bench/gpu_check_torch.py) into the short table printed last: per case, our ms, PyTorch's ms and the
ratio (lower is better), after the checks' pass/fail count.

    python3 bench/gpu_check_table.py OUT/lcss.jsonl [OUT/torch.jsonl]
"""
import json
import sys


def read(path):
    try:
        with open(path) as f:
            return [json.loads(l) for l in f if l.strip()]
    except OSError:
        return []


def key(r):
    return (r.get("workload"), r.get("case"), r.get("D"))


def main():
    ours = read(sys.argv[1])
    theirs = read(sys.argv[2]) if len(sys.argv) > 2 else []
    env = next((r for r in ours if r.get("kind") == "env"), {})
    tenv = next((r for r in theirs if r.get("kind") == "env"), {})
    summ = next((r for r in ours if r.get("kind") == "summary"), None)
    dev = env.get("device") or {}
    print(f"device: {dev.get('name', 'none')}  |  lcss checks: "
          + (f"{summ['passed']} passed, {summ['failed']} failed" if summ else "not run")
          + (f"  |  torch {tenv.get('torch')} (CUDA {tenv.get('cuda')}, TF32 off)" if tenv else "  |  torch: not run"))
    if not env.get("cudaAvailable"):
        print(f"GPU half skipped: {env.get('cudaStatus', 'unknown')}")
    t = {key(r): r for r in theirs if r.get("kind") == "result"}
    rows = [r for r in ours if r.get("kind") == "result"]
    if not rows:
        return 0
    print(f"{'workload':<16}{'case':<28}{'D':>5}{'lcss ms':>12}{'torch ms':>12}{'lcss/torch':>12}")
    for r in rows:
        o = t.get(key(r))
        ratio = f"{r['median'] / o['median']:.2f}" if o and o.get("median") else "-"
        print(f"{r['workload'][:15]:<16}{r['case'][:27]:<28}{str(r.get('D', '')):>5}{r['median']:>12.3f}"
              f"{(o['median'] if o else float('nan')):>12.3f}{ratio:>12}")
    for r in ours:
        if r.get("kind") == "error":
            print(f"lcss {r.get('workload')} failed: {r.get('error', '').splitlines()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
