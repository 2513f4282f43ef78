# Reference trajectories for optim's PyTorch comparison test (torch_test.go).
#
# Run with Debian's python3-torch (1.13.1):  /usr/bin/python3 testdata/torch_reference.py
# and paste the printed table into torchCases in torch_test.go.
#
# Two parameters, "a.w" (4 elements, receives weight decay) and "a.b"
# (3 elements, no decay), start at w[i] = (i - 1.5) / 2 and receive, at step k
# (0-based), the gradient g[i] = ((7k + 3i + j) mod 11 - 5) / 4, j = 0 for a.w
# and 1 for a.b. All inputs are exact in float32. Each case runs 5 steps with
# the single-tensor (foreach=False) float32 implementation and prints the
# weights after every step with %.9g, which round-trips float32.
import torch

STEPS = 5
SIZES = {"a.w": 4, "a.b": 3}


def init(n):
    return torch.tensor([(i - 1.5) / 2 for i in range(n)], dtype=torch.float32)


def grad(k, n, j):
    return torch.tensor([((7 * k + 3 * i + j) % 11 - 5) / 4 for i in range(n)], dtype=torch.float32)


def run(name, make, lr_at):
    w = torch.nn.Parameter(init(SIZES["a.w"]))
    b = torch.nn.Parameter(init(SIZES["a.b"]))
    opt = make(w, b)
    print('\t{name: "%s", steps: [][2][]float32{' % name)
    for k in range(STEPS):
        for group in opt.param_groups:
            group["lr"] = lr_at(k)
        w.grad = grad(k, SIZES["a.w"], 0)
        b.grad = grad(k, SIZES["a.b"], 1)
        opt.step()
        fmt = lambda t: ", ".join("%.9g" % x for x in t.detach().tolist())
        print("\t\t{{%s}, {%s}}," % (fmt(w), fmt(b)))
    print("\t}},")


def groups(w, b, wd):
    return [{"params": [w], "weight_decay": wd}, {"params": [b], "weight_decay": 0.0}]


print("// torch", torch.__version__)
run("sgd", lambda w, b: torch.optim.SGD([w, b], lr=0.1, foreach=False), lambda k: 0.1)
run("sgd momentum", lambda w, b: torch.optim.SGD([w, b], lr=0.1, momentum=0.9, foreach=False), lambda k: 0.1)
run("sgd nesterov decay", lambda w, b: torch.optim.SGD(groups(w, b, 0.01), lr=0.1, momentum=0.9, nesterov=True, foreach=False), lambda k: 0.1)
run("adam", lambda w, b: torch.optim.Adam([w, b], lr=0.01, betas=(0.9, 0.999), eps=1e-8, foreach=False), lambda k: 0.01)
run("adamw warmup", lambda w, b: torch.optim.AdamW(groups(w, b, 0.1), lr=0.01, betas=(0.9, 0.999), eps=1e-8, foreach=False), lambda k: 0.01 * (k + 1) / STEPS)
