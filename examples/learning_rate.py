"""The effect of the learning rate (seed 004): gradient descent on the lectures' 1-D loss
with a small, a good and a too large rate.

The loss is examples/one_d.py's: yhat = x w, L = 1/2 (yhat - y)^2 at x = 2, y = 1, so
L(w) = 1/2 (2 w - 1)^2, minimal (0) at w = 0.5, and dL/dw = (yhat - y) x = 4 w - 2. Each
step is w <- w - alpha dL/dw, from w = 1 (the slide's start), with the loss and its
gradient from the code gc.compile generates. The distance to the minimum shrinks by the
factor 1 - 4 alpha every step, so:

    alpha = 0.01   factor 0.96:  slow, the loss falls a little each step
    alpha = 0.1    factor 0.6:   converging (the slide's rate: w = 0.8 after one step)
    alpha = 0.6    factor -1.4:  diverging, w jumps across the minimum and away from it

Seed 004 says "small: slow convergence; large: oscillatory behavior near a local minimum";
with alpha above 0.5 (|1 - 4 alpha| > 1) the oscillation grows, which is the divergence.

Run it:  python examples/learning_rate.py [OUT_DIR]     (the plot needs matplotlib)
"""

import sys
from pathlib import Path

import graphc as gc
from graphc.files import write_atomic

g = gc.Graph("1-D loss")
x, w, y = g.input("x"), g.param("w"), g.input("y")
yhat = (x * w).named("yhat")
loss = (0.5 * (yhat - y) ** 2).named("L")

at = {"x": 2, "w": 1, "y": 1}
RATES = {"small": 0.01, "good": 0.1, "too large": 0.6}
STEPS = 10


def descend(alpha, steps=STEPS, w0=at["w"]):
    """The losses at w0 and after each of ``steps`` steps of rate ``alpha``, and the last
    w: ``(losses, w)``."""
    (dL_dw,) = gc.grad(loss, [w])
    run = gc.compile([loss, dL_dw])
    w_now, losses = float(w0), []
    for k in range(steps + 1):
        value, slope = run(x=at["x"], y=at["y"], w=w_now)
        losses.append(float(value))
        if k < steps:
            w_now -= alpha * float(slope)
    return losses, w_now


def main(out_dir="out"):
    print("graphc: gradient descent on L(w) = 1/2 (x w - y)^2 at x = 2, y = 1, from w = 1\n")
    runs = {name: descend(alpha) for name, alpha in RATES.items()}
    print(f"{'step':>4}  " + "  ".join(f"{f'{n} ({a:g})':>16}" for n, a in RATES.items()))
    for k in range(STEPS + 1):
        print(f"{k:>4}  " + "  ".join(f"{runs[n][0][k]:>16.6g}" for n in RATES))
    print()
    for name, alpha in RATES.items():
        losses, w_end = runs[name]
        verdict = "diverging" if losses[-1] > losses[0] else (
            "converging" if losses[-1] < 1e-3 else "slow")
        print(f"alpha = {alpha:g} ({name}): loss {losses[0]:g} -> {losses[-1]:.6g} after "
              f"{STEPS} steps, w = {w_end:.6g}: {verdict}")
    print(plot(runs, Path(out_dir)))


def plot(runs, out_dir):
    """The losses of each rate per step, on a log axis, as learning_rate.png; a message
    saying so when matplotlib is missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return "matplotlib is not installed (pip install graphc[plot]): no plot written"
    fig = Figure(figsize=(5, 3.5))
    ax = fig.subplots()
    for name, alpha in RATES.items():
        ax.plot(range(STEPS + 1), runs[name][0], marker=".", label=f"{name}: alpha {alpha:g}")
    ax.set(xlabel="step", ylabel="loss L(w)", title="learning rate", yscale="log")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path = write_atomic(out_dir / "learning_rate.png",
                        lambda f: fig.savefig(f, format="png", metadata={"Software": None}))
    return f"The loss curves are in {path}"


if __name__ == "__main__":
    main(*sys.argv[1:])
