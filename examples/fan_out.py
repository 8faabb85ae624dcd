"""Fan-out (seed 004, "The Flow of Gradients"): a node g(w) that feeds k units receives k
derivatives in backprop, and its gradient is their sum.

    g = w x feeds u1 = g^2 and u2 = sigmoid(g);  f = u1 + u2
    df/dg = df/du1 du1/dg + df/du2 du2/dg = 2 g + sigmoid(g) (1 - sigmoid(g))
    at w = 1, x = 2: df/dg = 4 + sigmoid(2) (1 - sigmoid(2)),  df/dw = 2 df/dg

Run it:    python examples/fan_out.py
Check it:  graphc check examples/fan_out.py
"""

import graphc as gc

G = gc.Graph("fan-out")
x, w = G.input("x"), G.param("w")
g = w * x
u1 = g ** 2
u2 = gc.sigmoid(g)
f = u1 + u2
loss = f

at = {"x": 2, "w": 1}
claims = {
    "d f/d u1": "1", "d f/d u2": "1",
    "d f/d g": "2 * g + sigmoid(g) * (1 - sigmoid(g))",
    "d f/d w": "2 * (4 + sigmoid(2) * (1 - sigmoid(2)))",
}


def main():
    g.named("g"), u1.named("u1"), u2.named("u2"), f.named("f")
    print(gc.explain(f, at=at))
    print()
    print(gc.check(f, claims, at=at))


if __name__ == "__main__":
    main()
