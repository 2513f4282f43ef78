"""PyTorch twin of branchspec's reference net, for cmd/refbench.

Net: input 3x32x32; conv 3->32 3x3 pad 1, ReLU, max pool 2; two branches of
two 32->32 3x3 pad 1 convs with ReLU; channel concat; max pool 2; linear
4096->10; no biases; softmax cross-entropy; Adam. Weights and batches are
read from .npy files that refbench writes, so both sides start from the same
state and see the same data.

Usage: torch_ref.py DIR WARMUP STEPS THREADS
Runs WARMUP+STEPS Adam steps cycling over the batches in DIR, timing the last
STEPS, and prints one JSON line: {"images_per_s", "losses", "torch"}.
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


def main():
    d, warmup, steps, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    meta = json.load(open(os.path.join(d, "meta.json")))
    names = meta["params"]
    params = [torch.nn.Parameter(load(d, n).clone()) for n in names]
    p = dict(zip(names, params))
    xs = [load(d, "x.%d" % i) for i in range(meta["batches"])]
    ys = [load(d, "y.%d" % i).long() for i in range(meta["batches"])]
    opt = torch.optim.Adam(params, lr=meta["lr"], betas=(meta["beta1"], meta["beta2"]), eps=meta["eps"])

    def step(i):
        x, y = xs[i % len(xs)], ys[i % len(ys)]
        h = F.max_pool2d(F.relu(F.conv2d(x, p["stem.0.w"], padding=1)), 2)
        outs = []
        for b in range(2):
            z = h
            for l in range(2):
                z = F.relu(F.conv2d(z, p["branch.%d.%d.w" % (b, l)], padding=1))
            outs.append(z)
        h = F.max_pool2d(torch.cat(outs, 1), 2)
        logits = F.linear(h.flatten(1), p["out.w"])
        loss = F.cross_entropy(logits, y)
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
        return loss.item()

    losses = []
    for i in range(warmup):
        losses.append(step(i))
    t0 = time.perf_counter()
    for i in range(warmup, warmup + steps):
        losses.append(step(i))
    dt = time.perf_counter() - t0
    n = xs[0].shape[0]
    print(json.dumps({"images_per_s": n * steps / dt if steps else 0.0, "losses": losses, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
