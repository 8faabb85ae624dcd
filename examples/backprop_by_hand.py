"""The backprop walk-through of the lecture (seed 003), step by step, in the slide's scalar form.

    z = w1 x1 + w2 x2,  yhat = sigmoid(z),  loss = -y log yhat - (1 - y) log(1 - yhat)
    at x1 = 1, x2 = -1, w1 = 1, w2 = 2, y = 1:
    z = -1, yhat = sigmoid(-1), loss = -log sigmoid(-1)
    dl/dyhat = (yhat - y) / (yhat (1 - yhat)),  dyhat/dz = yhat (1 - yhat)
    dl/dz = yhat - y = sigmoid(-1) - 1,  dl/dw1 = dl/dz x1 = sigmoid(-1) - 1

Run it:                 python examples/backprop_by_hand.py
Check your own answer:  graphc check examples/backprop_by_hand.py --claim "d loss/d w1 = ..."
See every step:         graphc explain examples/backprop_by_hand.py
"""

import graphc as gc

g = gc.Graph("backprop by hand")
x1, x2, y = g.input("x1"), g.input("x2"), g.input("y")
w1, w2 = g.param("w1"), g.param("w2")
z = w1 * x1 + w2 * x2          # named "z" after this variable by the graphc command
yhat = gc.sigmoid(z)
loss = gc.bce(yhat, y)

at = {"x1": 1, "x2": -1, "w1": 1, "w2": 2, "y": 1}
claims = {
    "z": "-1",
    "yhat": "sigmoid(-1)",
    "loss": "-log(sigmoid(-1))",
    "d loss/d yhat": "(yhat - y) / (yhat * (1 - yhat))",
    "d loss/d z": "yhat - y",
    "d loss/d w1": "sigmoid(-1) - 1",
    "d loss/d w2": "1 - sigmoid(-1)",
}


def main():
    z.named("z"), yhat.named("yhat"), loss.named("loss")  # as the graphc command does
    for node in gc.grad(loss, [w1, w2]):
        print(f"{node.name} = {gc.formula(node)}")
    print()
    print(gc.explain(loss, at=at))
    print()
    print(gc.check(loss, claims, at=at))


if __name__ == "__main__":
    main()
