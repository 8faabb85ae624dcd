"""The quiz of seed 003: ReLU activation and square loss, x = (1, -1), y = 1.

The slide leaves the weights out but gives z = 3; w = (2, -1) gives it. Then
yhat = relu(3) = 3, loss = (yhat - y)^2 = 4, dl/dyhat = 2 (yhat - y) = 4,
dyhat/dz = relu'(3) = 1 (relu' is 1 for z > 0 and 0 otherwise), dl/dw1 = 4 x1 = 4.

Run it:    python examples/relu_quiz.py
Check it:  graphc check examples/relu_quiz.py
"""

import graphc as gc

g = gc.Graph("relu quiz")
x1, x2, y = g.input("x1"), g.input("x2"), g.input("y")
w1, w2 = g.param("w1"), g.param("w2")
z = w1 * x1 + w2 * x2
yhat = gc.relu(z)
loss = gc.mse(yhat, y)          # the mean of one squared difference: (yhat - y)^2

at = {"x1": 1, "x2": -1, "w1": 2, "w2": -1, "y": 1}
claims = {
    "z": "3", "yhat": "3", "loss": "4",
    "d loss/d yhat": "2 * (yhat - y)",
    "d loss/d z": "2 * (yhat - y) * relu'(z)",
    "d loss/d w1": "4",
    "d loss/d w2": "-4",
}


def main():
    z.named("z"), yhat.named("yhat"), loss.named("loss")
    print(gc.explain(loss, at=at))
    print()
    print(gc.check(loss, claims, at=at))


if __name__ == "__main__":
    main()
