"""Backprop in 1-D (seed 004): yhat = x w, L = 1/2 (yhat - y)^2 at x = 2, w = 1, y = 1.

dL/dyhat = yhat - y = 1, dyhat/dw = x = 2, so dL/dw = 2; one step of gradient descent
with alpha = 0.1 gives w = 1 - 0.1 * 2 = 0.8. (The slide then writes yhat = 1.8 for the next
epoch; that does not follow: 0.8 * 2 = 1.6, which is what this example prints.)

Run it:    python examples/one_d.py
Check it:  graphc check examples/one_d.py
"""

import graphc as gc

g = gc.Graph("backprop in 1-D")
x, w, y = g.input("x"), g.param("w"), g.input("y")
yhat = x * w
L = 0.5 * (yhat - y) ** 2
loss = L

at = {"x": 2, "w": 1, "y": 1}
claims = {"yhat": "2", "L": "1/2", "d L/d yhat": "yhat - y", "d L/d w": "2"}
ALPHA = 0.1


def main():
    yhat.named("yhat"), L.named("L")
    (dL_dw,) = gc.grad(L, [w])
    print(gc.check(L, claims, at=at))
    step = gc.compile([dL_dw])
    new_w = at["w"] - ALPHA * float(step(**at)[0])
    next_yhat = float(gc.compile([yhat])(x=at["x"], w=new_w)[0])
    print(f"\none step of gradient descent, alpha = {ALPHA}: w = {new_w:g}, "
          f"next yhat = {next_yhat:g}")


if __name__ == "__main__":
    main()
