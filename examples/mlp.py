"""A 2-layer MLP with softmax cross-entropy on a small batch (seed 001's matrix notation):

    H = relu(X @ W1 + b1),  logits = H @ W2 + b2,  loss = cross_entropy(logits, labels)

X has a named batch dimension N, so one generated module serves any batch size, with no
Python loop over samples. The data is three Gaussian blobs in 4-D, made in code.

Run it:                python examples/mlp.py
Generate its code:     graphc compile examples/mlp.py -o mlp.py
"""

import numpy as np

import graphc as gc

g = gc.Graph("mlp")
X = g.input("X", shape=("N", 4))
labels = g.input("labels", shape=("N",), dtype="int64")
W1, b1 = g.param("W1", shape=(4, 8)), g.param("b1", shape=(8,))
W2, b2 = g.param("W2", shape=(8, 3)), g.param("b2", shape=(3,))
H = gc.relu(X @ W1 + b1).named("H")
logits = (H @ W2 + b2).named("logits")
loss = gc.cross_entropy(logits, labels).named("loss")
PARAMS = [W1, b1, W2, b2]
GRADS = gc.grad(loss, PARAMS)


def batch(n=12, seed=0):
    """n points from three well-separated blobs, and their labels."""
    rng = np.random.default_rng(seed)
    labels_ = np.arange(n) % 3
    centres = np.eye(3, 4) * 3.0
    return {"X": centres[labels_] + rng.normal(scale=0.5, size=(n, 4)), "labels": labels_}


def initial_params(seed=0):
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(scale=0.5, size=(4, 8)), "b1": np.zeros(8),
            "W2": rng.normal(scale=0.5, size=(8, 3)), "b2": np.zeros(3)}


def train(steps=100, rate=0.5, seed=0):
    """Full-batch gradient descent with the generated code; returns the losses."""
    f = gc.compile([loss] + GRADS)
    data, params = batch(seed=seed), initial_params(seed)
    losses = []
    for _ in range(steps):
        value, *grads = f(**data, **params)
        losses.append(float(value))
        params = {p.name: params[p.name] - rate * d for p, d in zip(PARAMS, grads)}
    return losses, params


def main():
    print(g)
    report = gc.gradcheck(loss, PARAMS, at={**batch(), **initial_params()})
    print(f"\n{report}\n")
    losses, _ = train()
    for step in (0, 10, 50, 99):
        print(f"step {step:3d}: loss {losses[step]:.4f}")


if __name__ == "__main__":
    main()
