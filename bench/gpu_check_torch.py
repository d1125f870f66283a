# SPDX-License-Identifier: MIT
"""The PyTorch side of the GPU check: W1-W5 on the same GPU as bench/gpu_check.ts, timed with CUDA
events, one JSON line per case (same workload/case names as ours, so gpu_check_table.py joins them).

The models and losses are the PyTorch peer's own definitions (its torch_peer.py, which is not
part of this repository, staged to .device/peers/ by `bench/gpu_check.sh --stage`), run with torch.set_default_device('cuda')
so every tensor they create lands on the GPU. TF32 is off for matmul and cuDNN: both sides compute
in strict float32.

    python3 bench/gpu_check_torch.py --peer .device/peers/torch_peer.py --out torch.jsonl [--reps 10]
"""
import argparse
import importlib.util
import json
import math
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def load_peer(path):
    spec = importlib.util.spec_from_file_location("torch_peer", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def bench_cpu(fn, reps, warmup=1, min_rep_ms=0.0):
    """--dry-cpu: the same loop timed with perf_counter (checks the script where there is no GPU)."""
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return {"median": statistics.median(ts), "min": min(ts), "max": max(ts), "reps": reps, "inner": 1}


def bench(fn, reps, warmup=3, min_rep_ms=50.0):
    """ms per call: warm-up, then reps repetitions of `inner` calls between two CUDA events."""
    if DRY:
        return bench_cpu(fn, reps)
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record()
    fn()
    e.record()
    e.synchronize()
    est = s.elapsed_time(e)
    inner = max(1, math.ceil(min_rep_ms / max(est, 1e-3))) if est < min_rep_ms else 1
    ts = []
    for _ in range(reps):
        s.record()
        for _ in range(inner):
            fn()
        e.record()
        e.synchronize()
        ts.append(s.elapsed_time(e) / inner)
    return {"median": statistics.median(ts), "min": min(ts), "max": max(ts), "reps": reps, "inner": inner}


DRY = False


def main():
    global DRY
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--workloads", default="W1,W2,W3,W4,W5")
    ap.add_argument("--dims", default="2,16,64,256,784")
    ap.add_argument("--exact-max-d", type=int, default=64)
    ap.add_argument("--dry-cpu", action="store_true", help="run every case once on the CPU (no GPU needed)")
    ap.add_argument("--tf32-workloads", default="W1,W2,W4", help="run these again with TF32 allowed")
    args = ap.parse_args()
    DRY = args.dry_cpu
    out = open(args.out, "w")

    def emit(d):
        out.write(json.dumps(d) + "\n")
        out.flush()

    if not DRY and not torch.cuda.is_available():
        emit({"kind": "error", "error": "torch.cuda.is_available() is False"})
        print("torch: no CUDA device", file=sys.stderr)
        return 1
    if not DRY:
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.set_default_device("cuda")
    torch.manual_seed(0)
    peer = load_peer(args.peer)
    emit({"kind": "env", "torch": torch.__version__, "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version(),
          "device": "cpu (dry run)" if DRY else torch.cuda.get_device_name(0), "tf32": False})
    wl = set(args.workloads.split(","))
    R = args.reps

    def result(workload, case, r, **extra):
        d = {"kind": "result", "device": "cpu" if DRY else "cuda:0", "workload": workload, "case": case, "unit": "ms"}
        d.update({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items()})
        d.update(extra)
        emit(d)
        print(f"  {workload} {case}{' D=' + str(extra['D']) if 'D' in extra else ''}".ljust(52) + f"{r['median']:10.3f} ms", flush=True)

    def run(wl, sfx):
        if "W1" in wl:
            a, b = torch.randn(1024, 1024), torch.randn(1024, 1024)
            c = torch.empty(1024, 1024)
            result("W1_sgemm_1024", "mm" + sfx, bench(lambda: torch.mm(a, b, out=c), R))

        if "W2" in wl:
            x, w = torch.randn(16, 64, 32, 32), torch.randn(64, 64, 3, 3) * 0.05
            with torch.no_grad():
                result("W2_conv3x3", "fwd" + sfx, bench(lambda: F.conv2d(x, w, padding=1), R))
            xg, wg, gy = x.clone().requires_grad_(True), w.clone().requires_grad_(True), torch.randn(16, 64, 32, 32)
            result("W2_conv3x3", "fwd+bwd(dx,dw)" + sfx, bench(lambda: torch.autograd.grad(F.conv2d(xg, wg, padding=1), (xg, wg), gy), R))

        if "W3" in wl:
            x = torch.randn(16, 128, 16, 16)
            m = nn.GroupNorm(32, 128, affine=True)
            with torch.no_grad():
                nn.init.normal_(m.weight, 1.0, 0.1)
                nn.init.normal_(m.bias, 0.0, 0.1)
                result("W3_groupnorm", "fwd" + sfx, bench(lambda: m(x), R))
            xg, gy = x.clone().requires_grad_(True), torch.randn_like(x)
            ps = (xg, m.weight, m.bias)
            result("W3_groupnorm", "fwd+bwd(dx,dgamma,dbeta)" + sfx, bench(lambda: torch.autograd.grad(m(xg), ps, gy), R))

        if "W4" in wl:
            torch.manual_seed(0)
            model = peer.ScoreUNet()
            opt = torch.optim.Adam(model.parameters(), lr=2e-4)
            x0 = torch.rand(32, 1, 28, 28) * 2 - 1

            def step(loss_fn):
                def f():
                    opt.zero_grad(set_to_none=True)
                    loss_fn(model, x0).backward()
                    opt.step()
                return f
            with torch.no_grad():
                sig = peer.ve_sigma(torch.rand(32))
                result("W4_unet_b32", "forward_only(no_grad)" + sfx, bench(lambda: model(x0, sig), R))
            result("W4_unet_b32", "train_step_dsm" + sfx, bench(step(peer.dsm_loss_unet), R))
            result("W4_unet_b32", "train_step_lcss_fused_b64" + sfx, bench(step(lambda m, x: peer.lcss_loss_unet(m, x, fused=True)), R))

        if "W5" in wl:
            cases = {"dsm": peer.loss_dsm, "stein_cat": peer.loss_stein_cat, "ssm": peer.loss_ssm, "fdssm": peer.loss_fdssm,
                     "exact": peer.loss_exact}
            for D in [int(d) for d in args.dims.split(",")]:
                torch.manual_seed(0)
                net = peer.mlp(D)
                x = torch.randn(128, D)
                for name, fn in cases.items():
                    if name == "exact" and D > args.exact_max_d:
                        continue

                    def f(fn=fn):
                        net.zero_grad(set_to_none=True)
                        fn(net, x).backward()
                    result("W5_mlp_b128", name + sfx, bench(f, R), D=D)
    run(wl, "")
    tf = [w for w in args.tf32_workloads.split(",") if w in wl and w]
    if tf and not DRY and torch.cuda.get_device_capability(0)[0] >= 8:
        print(f"## {', '.join(tf)} with TF32 (torch.backends.cuda.matmul / cudnn allow_tf32)", flush=True)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        run(set(tf), " [tf32]")
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
