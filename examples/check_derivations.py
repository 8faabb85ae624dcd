"""Every worked derivation of the lecture notes, checked as a claim in the lecture's own form.

Each lecture below is a small graphc graph, the point its slide works at, and the claims
the slide makes, written as the slide writes them: scalars (``d loss/d w1 = sigma(-1) - 1``),
the lecture's 1-based components of a vector (``w1`` for ``w[0]``), vectors and matrices
(``d loss/d w = (yhat - y)*x``, ``d loss/d Z2 = (P - Y)/N``), and formulas with no point
at all. gc.check proves each one exactly where it can and prints its verdict.

(The conv layer's output shape and the parameter counts of seeds 000-002 are shapes and
counts, not derivations: examples/cnn_digits.py and examples/param_count.py show them.)

Then come the slips a student makes, planted one at a time: a factor of the chain left out,
one path of a fan-out, sigmoid' written as sigma, the 1/N of a mean forgotten, a transpose
in the wrong place, a sign. For each, gc.check says the claim is wrong, at which step, and
which slip reproduces the student's answer.

Run it:     python examples/check_derivations.py
One claim:  graphc check examples/check_derivations.py --claim "d loss/d w1 = ..."
            (the command line checks the vector neuron, this file's ``loss``)
"""

import graphc as gc


def scalar_neuron():
    """Seed 003's walk-through: z = w1 x1 + w2 x2, yhat = sigmoid(z), bce loss."""
    g = gc.Graph("scalar neuron")
    x1, x2, y = g.input("x1"), g.input("x2"), g.input("y")
    w1, w2 = g.param("w1"), g.param("w2")
    z = (w1 * x1 + w2 * x2).named("z")
    return gc.bce(gc.sigmoid(z).named("yhat"), y).named("loss")


def vector_neuron():
    """Seed 000's neuron with x and w vectors: z = w . x."""
    g = gc.Graph("vector neuron")
    x, w, y = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
    z = (w @ x).named("z")
    return gc.bce(gc.sigmoid(z).named("yhat"), y).named("loss")


def relu_quiz():
    """Seed 003's quiz: ReLU and the square loss; z = 3 with w = (2, -1)."""
    g = gc.Graph("relu quiz")
    x1, x2, y = g.input("x1"), g.input("x2"), g.input("y")
    w1, w2 = g.param("w1"), g.param("w2")
    yhat = gc.relu((w1 * x1 + w2 * x2).named("z")).named("yhat")
    return ((yhat - y) ** 2).named("loss")


def one_d():
    """Seed 004: yhat = x w, L = 1/2 (yhat - y)^2, and one gradient step with alpha 0.1."""
    g = gc.Graph("backprop in 1-D")
    x, w, y = g.input("x"), g.param("w"), g.input("y")
    yhat = (x * w).named("yhat")
    loss = (0.5 * (yhat - y) ** 2).named("L")
    (dw,) = gc.grad(loss, [w])
    (w - 0.1 * dw).named("w_next")
    return loss


def fan_out():
    """Seed 004's fan-out: g = w x feeds u1 = g^2 and u2 = sigmoid(g); f = u1 + u2."""
    g = gc.Graph("fan-out")
    x, w = g.input("x"), g.param("w")
    shared = (w * x).named("g")
    return ((shared ** 2).named("u1") + gc.sigmoid(shared).named("u2")).named("f")


def ce_quiz():
    """Seed 003's cross-entropy quiz: -sum(y log p) with y one-hot, the true class 3 of 5."""
    g = gc.Graph("cross-entropy quiz")
    p, y = g.input("p", shape=(5,)), g.input("y", shape=(5,))
    return (-gc.sum(y * gc.log(p))).named("loss")


def softmax_classifier():
    """Seed 001's softmax: f = W x + b scores, p = softmax(f), loss = -log p_label."""
    g = gc.Graph("softmax classifier")
    x, label = g.input("x", shape=(2,)), g.input("label", dtype="int64")
    W, b = g.param("W", shape=(3, 2)), g.param("b", shape=(3,))
    f = (W @ x + b).named("f")
    gc.softmax(f).named("p")
    return gc.cross_entropy(f, label).named("loss")


def mlp():
    """Seed 001's MLP in matrix notation, a batch of N = 4 rows, Y the one-hot labels:
    H = relu(X W1 + b1), Z2 = H W2 + b2, P = softmax(Z2), loss = -sum(Y log P)/N."""
    g = gc.Graph("mlp")
    X, Y = g.input("X", shape=(4, 2)), g.input("Y", shape=(4, 3))
    W1, b1 = g.param("W1", shape=(2, 3)), g.param("b1", shape=(3,))
    W2, b2 = g.param("W2", shape=(3, 3)), g.param("b2", shape=(3,))
    N = g.const("N", 4.0)
    H = gc.relu((X @ W1 + b1).named("A1")).named("H")
    Z2 = (H @ W2 + b2).named("Z2")
    gc.softmax(Z2).named("P")
    return (-gc.sum(Y * gc.log_softmax(Z2)) / N).named("loss")


def perceptron():
    """Seeds 000/003's perceptron on extended vectors (the bias last, every input ending in
    1), over its four points: yhat = step(X w)."""
    g = gc.Graph("perceptron")
    X, w = g.input("X", shape=(4, 3)), g.param("w", shape=(3,))
    return gc.step((X @ w).named("z")).named("yhat")


def and_gate():
    """Seed 001's AND perceptron over its truth table: yhat = step(X w + b)."""
    g = gc.Graph("AND perceptron")
    X, w, b = g.input("X", shape=(4, 2)), g.param("w", shape=(2,)), g.param("b")
    return gc.step((X @ w + b).named("z")).named("yhat")


MLP_AT = {"X": [[1, 0], [0, 1], [1, 1], [2, -1]],
          "Y": [[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0]],
          "W1": [[1, -1, 0.5], [0.5, 1, -1]], "b1": [0, 0.5, 0],
          "W2": [[1, 0, -1], [0, 1, 0.5], [-0.5, 0.5, 1]], "b2": [0, 0, 0]}

#: The perceptron's points x1 .. x4, extended by 1; x1, x2 are class 0, x3, x4 class 1.
POINTS = [[0, 1, 1], [1, 0, 1], [2, 1, 1], [1, 2, 1]]

#: (title, graph, point or None, the slide's claims as it writes them)
LECTURES = [
    ("seed 003: the backprop walk-through of the sigmoid neuron", scalar_neuron,
     {"x1": 1, "x2": -1, "w1": 1, "w2": 2, "y": 1},
     ["z = -1", "yhat = sigma(-1)", "loss = -log(sigma(-1))",
      "d loss/d yhat = (yhat - y)/(yhat*(1 - yhat))", "d yhat/d z = yhat*(1 - yhat)",
      "d loss/d z = sigma(-1) - 1", "d loss/d w1 = sigma(-1) - 1",
      "d loss/d w2 = 1 - sigma(-1)"]),
    ("seed 000: the same neuron with vectors, dl/dw1 = sigma(-1) - 1", vector_neuron,
     {"x": [1, -1], "w": [1, 2], "y": 1},
     ["d loss/d w1 = sigma(-1) - 1", "d loss/d w2 = 1 - sigma(-1)",
      "d loss/d w = (yhat - y)*x", "d loss/d w = [sigma(-1) - 1, 1 - sigma(-1)]"]),
    ("seed 001: dl/dw = (yhat - y) x1, as a formula (no point)", scalar_neuron, None,
     ["d loss/d z = yhat - y", "d loss/d w1 = (yhat - y)*x1"]),
    ("seed 003 quiz: ReLU and the square loss, dl/dw1 = 4", relu_quiz,
     {"x1": 1, "x2": -1, "w1": 2, "w2": -1, "y": 1},
     ["z = 3", "yhat = 3", "loss = 4", "d loss/d yhat = 2*(yhat - y)",
      "d yhat/d z = relu'(3)", "d loss/d w1 = 4"]),
    ("seed 004: backprop in 1-D, dL/dw = 2 and one step to w = 0.8", one_d,
     {"x": 2, "w": 1, "y": 1},
     ["yhat = 2", "L = 1/2", "d L/d yhat = yhat - y", "d L/d w = (yhat - y)*x",
      "d L/d w = 2", "w_next = 0.8"]),
    ("seed 004: fan-out, the gradient of g sums both paths", fan_out, {"x": 2, "w": 1},
     ["d f/d u1 = 1", "d f/d u2 = 1", "d f/d g = 2*g + sigma(g)*(1 - sigma(g))",
      "d f/d w = 2*(4 + sigma(2)*(1 - sigma(2)))"]),
    ("seed 003: the cross-entropy quiz, loss = -log(0.05)", ce_quiz,
     {"p": [0.02, 0.90, 0.05, 0.01, 0.02], "y": [0, 0, 1, 0, 0]},
     ["loss = -log(0.05)", "loss = log(20)", "d loss/d p = -y/p"]),
    ("seed 001: softmax and cross-entropy, dl/df = p - onehot(label)", softmax_classifier,
     {"x": [1, 2], "label": 2, "W": [[1, 0], [0, 1], [1, -1]], "b": [0, 0, 1]},
     ["f = [1, 2, 0]", "p = softmax(f)", "d loss/d f = p - onehot(label, 3)",
      "d loss/d W = outer(p - onehot(label, 3), x)", "d loss/d b = p - onehot(label, 3)"]),
    ("seed 001: the MLP in matrix notation, dl/dZ2 = (P - Y)/N", mlp, MLP_AT,
     ["d loss/d Z2 = (P - Y)/N", "d loss/d W2 = H.T @ ((P - Y)/N)",
      "d loss/d b2 = sum((P - Y)/N, 0)", "d loss/d H = ((P - Y)/N) @ W2.T",
      "d loss/d W1 = X.T @ ((((P - Y)/N) @ W2.T) * step(A1))"]),
    ("seeds 000/003: the perceptron from w = (1, 2, -1): x1 is misclassified", perceptron,
     {"X": POINTS, "w": [1, 2, -1]}, ["z = X @ w", "z = [1, 0, 3, 4]", "yhat = [1, 0, 1, 1]"]),
    ("seeds 000/003: after w <- w - x1 = (1, 1, -2) every point is right", perceptron,
     {"X": POINTS, "w": [1, 1, -2]}, ["z = [-1, -1, 1, 1]", "yhat = [0, 0, 1, 1]"]),
    ("seed 001: AND as a perceptron, its truth table", and_gate,
     {"X": [[0, 0], [0, 1], [1, 0], [1, 1]], "w": [1, 1], "b": -1.5},
     ["z = [-1.5, -0.5, -0.5, 0.5]", "yhat = [0, 0, 0, 1]"]),
]

#: (the lecture, its point, a student's wrong claim, the slip it plants)
SLIPS = [
    (scalar_neuron, LECTURES[0][2], "d loss/d z = (yhat - y)/(yhat*(1 - yhat))",
     "the sigmoid's local derivative is missing"),
    (scalar_neuron, LECTURES[0][2], "d loss/d z = (yhat - y)/(1 - yhat)",
     "sigmoid'(z) written as sigmoid(z)"),
    (vector_neuron, LECTURES[1][2], "d loss/d w1 = 1 - sigma(-1)", "has the wrong sign"),
    (vector_neuron, LECTURES[1][2], "d loss/d w = x",
     "the upstream gradient d loss/d z is missing"),
    (fan_out, LECTURES[5][2], "d f/d g = 2*g", "the fan-out sum over them is missing"),
    (mlp, MLP_AT, "d loss/d Z2 = P - Y", "the 1/N (N = 4) that loss divides by is forgotten"),
    (mlp, MLP_AT, "d loss/d W2 = ((P - Y)/N).T @ H", "is the true one transposed"),
]


def check_lecture(build, at, claims):
    """The report of gc.check on a fresh graph of the lecture."""
    return gc.check(build(), claims, at=at)


def main():
    for title, build, at, claims in LECTURES:
        print(f"== {title}")
        print(check_lecture(build, at, claims))
        print()
    print("== slips a student makes, planted one at a time")
    for build, at, claim, _ in SLIPS:
        report = check_lecture(build, at, [claim])
        print(f"{build.__name__}: {claim}")
        print(f"  verdict: {report.first_wrong.how}")
        print(f"  why: {report.first_wrong.slip or 'no common slip explains it'}")


loss = vector_neuron()          # what graphc check checks claims about for this file
at = LECTURES[1][2]
claims = LECTURES[1][3]

if __name__ == "__main__":
    main()
