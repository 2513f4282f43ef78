"""PyTorch twins of the nets cmd/refbench times against branchspec.

Nets (meta.json "net"):

reference: input 3x32x32; conv 3->32 3x3 pad 1, ReLU, max pool 2; two
branches of two 32->32 3x3 pad 1 convs with ReLU; channel concat; max pool 2;
linear 4096->10; no biases; Adam.

cifar10-alexnet (branchspec's preset): input 3x32x32; two towers, each conv
3->16 7x7 stride 2 pad 3 with bias, ReLU, local response normalisation
(size 5, k 2, alpha 1e-4 as the paper writes it, so F.local_response_norm's
alpha is 5e-4, beta 0.75), max pool 3 stride 2, conv 16->32 5x5 pad 2, ReLU,
LRN, max pool 3 stride 2; channel concat; conv 64->64 3x3 pad 1, ReLU; global
average pool; linear 64->10; SGD momentum 0.9, weight decay 5e-4 on the
weights (not the biases, as branchspec's solver).

Both: softmax cross-entropy. Weights and batches are read from .npy files
that refbench writes, so both sides start from the same state and see the
same data.

Usage: torch_ref.py DIR WARMUP STEPS THREADS, or torch_ref.py --probe (see
probe).
Runs WARMUP+STEPS steps cycling over the batches in DIR, timing the last
STEPS in wall and process CPU time, and prints one JSON line:
{"images_per_s", "wall_s", "cpu_s", "losses", "torch"}.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def load(d, name):
    return torch.from_numpy(np.load(os.path.join(d, name + ".npy")))


def reference(p, x):
    h = F.max_pool2d(F.relu(F.conv2d(x, p["stem.0.w"], padding=1)), 2)
    outs = []
    for b in range(2):
        z = h
        for l in range(2):
            z = F.relu(F.conv2d(z, p["branch.%d.%d.w" % (b, l)], padding=1))
        outs.append(z)
    h = F.max_pool2d(torch.cat(outs, 1), 2)
    return F.linear(h.flatten(1), p["out.w"])


def alexnet(p, x):
    lrn = dict(size=5, alpha=5 * 1e-4, beta=0.75, k=2.0)
    outs = []
    for b in range(2):
        z = F.relu(F.conv2d(x, p["branch.%d.0.w" % b], p["branch.%d.0.b" % b], stride=2, padding=3))
        z = F.max_pool2d(F.local_response_norm(z, **lrn), 3, 2)
        z = F.relu(F.conv2d(z, p["branch.%d.1.w" % b], p["branch.%d.1.b" % b], padding=2))
        z = F.max_pool2d(F.local_response_norm(z, **lrn), 3, 2)
        outs.append(z)
    h = F.relu(F.conv2d(torch.cat(outs, 1), p["trunk.0.w"], p["trunk.0.b"], padding=1))
    h = F.adaptive_avg_pool2d(h, 1).flatten(1)
    return F.linear(h, p["out.w"], p["out.b"])


NETS = {"reference": reference, "cifar10-alexnet": alexnet}


def probe():
    """Runs a small convolution (oneDNN) and linear layer (BLAS) forward and
    backward and prints one JSON line: the torch version and OpenBLAS's core
    where OpenBLAS is loaded. With DNNL_VERBOSE=1 oneDNN prints its ISA
    before it."""
    import ctypes
    x = torch.randn(8, 3, 16, 16)
    w = torch.randn(8, 3, 3, 3, requires_grad=True)
    v = torch.randn(10, 8 * 16 * 16, requires_grad=True)
    F.linear(F.conv2d(x, w, padding=1).flatten(1), v).sum().backward()
    core = ""
    for name in ("libopenblas.so.0", "libopenblasp.so.0"):
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        lib.openblas_get_corename.restype = ctypes.c_char_p
        core = lib.openblas_get_corename().decode()
        break
    print(json.dumps({"torch": torch.__version__, "openblas": core}))


def main():
    if sys.argv[1:] == ["--probe"]:
        probe()
        return
    d, warmup, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    meta = json.load(open(os.path.join(d, "meta.json")))
    names = meta["params"]
    params = [torch.nn.Parameter(load(d, n).clone()) for n in names]
    p = dict(zip(names, params))
    xs = [load(d, "x.%d" % i) for i in range(meta["batches"])]
    ys = [load(d, "y.%d" % i).long() for i in range(meta["batches"])]
    if meta["algorithm"] == "adam":
        opt = torch.optim.Adam(params, lr=meta["lr"], betas=(meta["beta1"], meta["beta2"]), eps=meta["eps"],
                               weight_decay=0)
    else:
        decay = [q for n, q in zip(names, params) if n.endswith(".w")]
        rest = [q for n, q in zip(names, params) if not n.endswith(".w")]
        opt = torch.optim.SGD([{"params": decay, "weight_decay": meta["weight_decay"]},
                               {"params": rest, "weight_decay": 0}], lr=meta["lr"], momentum=meta["momentum"])
    forward = NETS[meta["net"]]

    def step(i):
        x, y = xs[i % len(xs)], ys[i % len(ys)]
        loss = F.cross_entropy(forward(p, x), y)
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
        return loss.item()

    losses = []
    for i in range(warmup):
        losses.append(step(i))
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(warmup, warmup + steps):
        losses.append(step(i))
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    n = xs[0].shape[0]
    print(json.dumps({"images_per_s": n * steps / dt if steps else 0.0, "wall_s": dt, "cpu_s": dc,
                      "losses": losses, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
