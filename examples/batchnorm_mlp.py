"""An MLP with batch norm and layer norm: its gradients checked, its running statistics shown.

    X (8, 4) -> layer1: X @ W1 + b1 = z1 (8, 6) -> batch_norm(z1; gamma1, beta1) -> relu
             -> layer2: h1 @ W2 + b2 = z2 (8, 6) -> layer_norm(z2; gamma2, beta2) -> tanh
             -> output: h2 @ W3 + b3 = logits (8, 3) -> cross-entropy with the labels

Batch norm normalises each of the 6 units over the batch (its mean and biased variance);
layer norm normalises each example over its 6 units. Both are ordinary nodes (mean, sub,
``** 0.5``), so graphc differentiates them as it does any graph, and the example checks
every gradient (all ten parameters and X) against central differences with gc.gradcheck:
it prints PASS.

``gc.batch_norm`` returns its running statistics as outputs (``BatchNorm(y, running_mean,
running_var)``), not hidden state: the example feeds them back in, batch after batch, as a
training loop does. After the first batch they are, as in PyTorch (momentum 0.1),

    running_mean = 0.9 * 0 + 0.1 * mean(z1)     running_var = 0.9 * 1 + 0.1 * var(z1)

with the batch's UNBIASED variance (n - 1 = 7 in the denominator), which the example
checks with NumPy; over 50 batches they approach the statistics of z1 on all the data.

Run it:   python examples/batchnorm_mlp.py [OUT_DIR]     (OUT_DIR defaults to "out")
"""

import sys
from pathlib import Path

import numpy as np

import graphc as gc

N, D, H, CLASSES, STEPS = 8, 4, 6, 3, 50

def network(g, running_mean=None, running_var=None):
    """The MLP in graph ``g``: (loss, batch norm's BatchNorm, z1, the params in order)."""
    X = g.input("X", shape=(N, D))
    labels = g.input("labels", shape=(N,), dtype="int64")
    with g.scope("layer1"):
        W1, b1 = g.param("W1", shape=(D, H)), g.param("b1", shape=(H,))
        gamma1 = g.param("gamma1", shape=(H,), init="ones")
        beta1 = g.param("beta1", shape=(H,))
        z1 = (X @ W1 + b1).named("z1")
        bn = gc.batch_norm(z1, gamma1, beta1, running_mean, running_var)
        h1 = gc.relu(bn.y).named("h1")
    with g.scope("layer2"):
        W2, b2 = g.param("W2", shape=(H, H)), g.param("b2", shape=(H,))
        gamma2 = g.param("gamma2", shape=(H,), init="ones")
        beta2 = g.param("beta2", shape=(H,))
        z2 = (h1 @ W2 + b2).named("z2")
        h2 = gc.tanh(gc.layer_norm(z2, gamma2, beta2)).named("h2")
    with g.scope("output"):
        W3, b3 = g.param("W3", shape=(H, CLASSES)), g.param("b3", shape=(CLASSES,))
        logits = (h2 @ W3 + b3).named("logits")
    loss = gc.cross_entropy(logits, labels).named("loss")
    return loss, bn, z1, [W1, b1, gamma1, beta1, W2, b2, gamma2, beta2, W3, b3]


#: The MLP `graphc compile` builds; batch norm's running statistics start from 0 and 1.
g = gc.Graph("batchnorm mlp")
loss, bn, z1, PARAMS = network(g)
X = g["X"]

#: The input scale and shift, so that z1's statistics are far from 0 and 1.
SCALE, SHIFT = 3.0, 2.0


def batch(seed):
    """A batch of N examples (normal, scaled and shifted), labels taking turns."""
    rng = np.random.default_rng(seed)
    return {"X": SHIFT + SCALE * rng.normal(size=(N, D)), "labels": np.arange(N) % CLASSES}


PARAMS_AT = g.initial_params(seed=0)
AT = {**batch(0), **PARAMS_AT}


def running_statistics(steps=STEPS):
    """[(running_mean, running_var)] after each of ``steps`` batches, fed back each time,
    and [z1] of each batch. The same MLP in a graph of its own whose running statistics are
    inputs, so that each batch's can be fed to the next."""
    steps_graph = gc.Graph("batchnorm mlp, running statistics fed back")
    _, norm, z1_node, _ = network(steps_graph, steps_graph.input("running_mean", shape=(H,)),
                                  steps_graph.input("running_var", shape=(H,)))
    step = gc.compile([norm.running_mean, norm.running_var, z1_node], unused="ignore")
    mean, var, history, zs = np.zeros(H), np.ones(H), [], []
    for seed in range(steps):
        mean, var, z = step(**batch(seed), **PARAMS_AT, running_mean=mean, running_var=var)
        history.append((mean, var))
        zs.append(z)
    return history, zs


def main(out_dir="out"):
    print(g.summary())
    report = gc.gradcheck(loss, PARAMS + [X], at=AT)
    print(f"\nThe MLP's gradients (batch norm and layer norm inside):\n{report}\n")
    history, zs = running_statistics()
    mean, var, z = *history[0], zs[0]
    expected = (0.1 * z.mean(axis=0), 0.9 + 0.1 * z.var(axis=0, ddof=1))
    agree = np.allclose(mean, expected[0]) and np.allclose(var, expected[1])
    print("running statistics after batch 1 (momentum 0.1, from 0 and 1):")
    print(f"  running_mean {np.round(mean, 4)}\n  running_var  {np.round(var, 4)}")
    print(f"  = 0.1 * mean(z1) and 0.9 + 0.1 * unbiased var(z1): {'yes' if agree else 'NO'}")
    mean, var = history[-1]
    print(f"after {len(history)} batches:")
    print(f"  running_mean {np.round(mean, 4)}\n  running_var  {np.round(var, 4)}")
    every = np.concatenate(zs)
    print(f"z1 over all {len(zs) * N} examples:")
    print(f"  mean         {np.round(every.mean(axis=0), 4)}")
    print(f"  var          {np.round(every.var(axis=0, ddof=1), 4)}")
    if not (report and agree):
        sys.exit("the gradient check or the running statistics failed")
    import visualize  # only here: loading this file for graphc compile needs no Graphviz
    path = visualize.export(visualize.draw(loss, collapse=True),
                            Path(out_dir) / "batchnorm_mlp.svg")
    print(f"\nThe MLP, one box per layer, is in {path}")


if __name__ == "__main__":
    main(*sys.argv[1:])
