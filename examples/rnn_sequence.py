"""A recurrent network unrolled through time (seed 002, "Neural Networks: Simple RNNs").

The slide's classical RNN, one step t = 1 .. T, with the same weights at every step:

    a(t)    = b + W s(t-1) + U x(t)
    s(t)    = tanh(a(t))
    o(t)    = c + V s(t)
    yhat(t) = softmax(o(t))
    L       = sum over t of L(t),   L(t) = CrossEntropy(y(t), yhat(t)) = -log yhat(t)[y(t)]

Unrolled, the RNN is an ordinary graph: each of W, U, V, b, c is one parameter node that
feeds all T steps, so its gradient is the sum of what flows back from every step
(backpropagation through time is just fan-out). L(t) is computed from the logits o(t)
(gc.cross_entropy takes logits and uses log-sum-exp), which is the same number.

The task, made in code: predict the next symbol of the repeating pattern 0 1 0 2 0 1 0 2 ...
over 3 symbols (one-hot inputs). After a 0 comes a 1 or a 2, depending on what came
*before* the 0, so the network has to remember: that memory is W s(t-1).

It prints the graph, a gradient check of W, U, V, b, c at the initial point, each step's
share of dL/dW (they sum to dL/dW), the loss before and after training with gc.train, and
the predictions; it draws how the gradient flows back through time, at the initial point,
into OUT_DIR/rnn_sequence_gradflow.svg.

Run it:              python examples/rnn_sequence.py [OUT_DIR]      (OUT_DIR: out)
Generate its code:   graphc compile examples/rnn_sequence.py -o rnn.py
See BPTT as formulas: graphc grad examples/rnn_sequence.py
    (dloss/dW = outer(dL/da1, s0) + outer(dL/da2, s1) + ...: one term per step)
"""

import sys
from pathlib import Path

import numpy as np

import graphc as gc

T = 5        # time steps
D = 3        # input size: one-hot symbols 0, 1, 2
H = 4        # hidden state size
K = 3        # output classes: the next symbol
PATTERN = [0, 1, 0, 2]

g = gc.Graph("rnn unrolled")
x = g.input("x", shape=(T, D))                 # row t-1 is x(t)
y = g.input("y", shape=(T,), dtype="int64")    # y(t): the symbol that follows x(t)
W = g.param("W", shape=(H, H))                 # state -> state: the memory
U = g.param("U", shape=(H, D))                 # input -> state
V = g.param("V", shape=(K, H))                 # state -> output
b = g.param("b", shape=(H,))
c = g.param("c", shape=(K,))
PARAMS = [W, U, V, b, c]

s = g.const("s0", np.zeros(H))                 # s(0): no history yet
step_losses, predictions = [], []              # L(t) and yhat(t), t = 1 .. T
for t in range(1, T + 1):
    with g.scope(f"t = {t}"):
        a = (b + W @ s + U @ x[t - 1]).named(f"a{t}")
        s = gc.tanh(a).named(f"s{t}")
        o = (c + V @ s).named(f"o{t}")
        predictions.append(gc.softmax(o).named(f"yhat{t}"))
        step_losses.append(gc.cross_entropy(o, y[t - 1]).named(f"L{t}"))

loss = step_losses[0]
for t, step_loss in enumerate(step_losses[1:], start=2):
    loss = (loss + step_loss).named("loss" if t == T else f"L1..{t}")


def sequence(length=T, start=0):
    """One-hot inputs and next-symbol targets for ``length`` steps of the pattern."""
    symbols = [PATTERN[(start + i) % len(PATTERN)] for i in range(length + 1)]
    return {"x": np.eye(D)[symbols[:-1]], "y": np.array(symbols[1:])}


DATA = sequence()
INITIAL = g.initial_params(seed=0)   # Xavier weights, zero biases
AT = {**DATA, **INITIAL}
at = AT  # the point graphc explain, check and render use for this file


def step_gradients(wrt_name="W", at=AT):
    """dL(t)/dW for each step t, on a copy of the graph: step t's share of dL/dW."""
    work = g.copy()
    wrt = work.node(wrt_name)
    grads = [gc.grad(work.node(f"L{t}"), [wrt])[0] for t in range(1, T + 1)]
    return gc.evaluate(grads, at=at)


def _loss_grad(name):
    """dL/d(name) on a copy of the graph (the module's graph stays as built)."""
    work = g.copy()
    return gc.grad(work.node("loss"), [work.node(name)])[0]


def train(epochs=200, lr=0.1, momentum=0.9):
    """Full-batch gradient descent on the one sequence; returns gc.train's History."""
    return gc.train(loss, INITIAL, DATA, epochs=epochs, lr=lr, momentum=momentum,
                    progress=False)


def predict(params, data=DATA):
    """yhat(t) for every step, as a (T, K) array of probabilities."""
    f = gc.compile(predictions, unused="ignore")
    return np.stack(f(x=data["x"], **params))


def main(out_dir="out"):
    print(f"graphc: an RNN unrolled over T = {T} steps, shared W, U, V, b, c\n\n{g}\n")
    report = gc.gradcheck(loss, PARAMS, at=AT)
    print(f"At the initial point:\n{report}\n")

    shares = step_gradients("W")
    total = gc.evaluate(_loss_grad("W"), at=AT)
    print("Backpropagation through time: step t's share of dL/dW (W is used at every step)")
    for t, share in enumerate(shares, start=1):
        print(f"  |dL{t}/dW| = {np.linalg.norm(share):.6f}")
    print("  (dL1/dW is 0: W meets only s(0) = 0 at step 1, and dL/dW = sum_t dL/da(t) s(t-1)^T)")
    gap = np.max(np.abs(sum(shares) - total))
    print(f"  |dL/dW|   = {np.linalg.norm(total):.6f}   max |sum over t - dL/dW| = {gap:.1e}\n")

    target = " ".join(str(v) for v in DATA["y"])
    before = predict(INITIAL)
    print(f"inputs      x: {' '.join(str(v) for v in DATA['x'].argmax(axis=1))}")
    print(f"targets     y: {target}")
    print(f"before training: loss {float(gc.evaluate(loss, at=AT)):.4f}, predictions "
          f"{' '.join(str(v) for v in before.argmax(axis=1))}")
    history = train()
    after = predict(history.params)
    final = float(gc.evaluate(loss, at={**DATA, **history.params}))
    accuracy = np.mean(after.argmax(axis=1) == DATA["y"])
    print(f"after {len(history.losses)} steps of gc.train: loss {final:.4f}, predictions "
          f"{' '.join(str(v) for v in after.argmax(axis=1))}")
    print(f"accuracy on the pattern: {accuracy:.0%}")
    print("p(right symbol) per step: "
          + " ".join(f"{p:.3f}" for p in after[np.arange(T), DATA["y"]]))
    print()
    path = write_diagram(out_dir)
    print(f"The gradient flow through time at the initial point is in {path}")


def write_diagram(out_dir):
    """The gradient flow at the initial point: W's edges carry each step's share."""
    import visualize  # only here: loading this file for graphc compile needs no Graphviz
    diagram = visualize.draw(loss, view="gradflow", at=AT)
    return visualize.export(diagram, Path(out_dir) / "rnn_sequence_gradflow.svg")


if __name__ == "__main__":
    main(*sys.argv[1:])
