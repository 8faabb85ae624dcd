"""The cross-entropy quiz of seed 003: predicted p = [0.02, 0.90, 0.05, 0.01, 0.02], the
true class is the 3rd of 5 (index 2), so the loss is -log(0.05) = log(20) = 2.9957.

The loss is written as the lecture writes it, -sum(y log p) with y one-hot; the same number
comes from gc.cross_entropy on the logits log(p) (softmax of log p is p).

Run it:    python examples/ce_quiz.py
Check it:  graphc check examples/ce_quiz.py
"""

import numpy as np

import graphc as gc

g = gc.Graph("cross-entropy quiz")
p = g.input("p", shape=(5,))
onehot = g.input("onehot", shape=(5,))
loss = -gc.sum(onehot * gc.log(p))

at = {"p": [0.02, 0.90, 0.05, 0.01, 0.02], "onehot": [0, 0, 1, 0, 0]}
claims = {"loss": "-log(0.05)"}


def main():
    loss.named("loss")
    print(gc.check(loss, claims, at=at))
    h = gc.Graph("cross-entropy of logits")
    logits, label = h.input("logits", shape=(5,)), h.input("label", dtype="int64")
    value = gc.evaluate(gc.cross_entropy(logits, label), at={"logits": np.log(at["p"]),
                                                             "label": 2})
    print(f"\ngc.cross_entropy(log p, 2) = {float(value):.10f}; -log(0.05) = "
          f"{-np.log(0.05):.10f}")


if __name__ == "__main__":
    main()
