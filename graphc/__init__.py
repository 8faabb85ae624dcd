"""graphc: neural networks as explicit computational graphs.

Declare a graph, derive its gradients symbolically, evaluate and check them:

>>> import graphc as gc
>>> g = gc.Graph("sigmoid neuron")
>>> x, w, y = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
>>> loss = gc.bce(gc.sigmoid((w @ x).named("z")), y).named("loss")
>>> (dw,) = gc.grad(loss, [w])
>>> gc.evaluate(dw, at={"x": [1, -1], "w": [1, 2], "y": 1}).round(4)
array([-0.7311,  0.7311])
"""

from . import ops
from .autodiff import grad
from .check import CheckReport, check
from .compiler import CompiledFunction, compile
from .errors import (ClaimError, DifferentiationError, DomainError, DTypeError, FeedError,
                     GraphcError, GraphError, ShapeError)
from .functional import (abs, add, bce, bce_with_logits, cross_entropy, div, elementwise_op,
                         exp, log,
                         log_softmax, matmul, mean, mse, mul, neg, pow, relu, sigmoid,
                         softmax, sub, sum, tanh, transpose)
from .functional import avg_pool2d, conv2d, max_pool2d
from .functional import (accuracy, argmax, concat, flatten, hinge, leaky_relu, mae, reshape,
                         squared_hinge, step)
from .gradcheck import GradcheckReport, gradcheck
from .graph import Graph, Node
from .api import evaluate
from .explain import explain
from .symbolic import formula, latex
from . import optim
from .train import History, train

__version__ = "0.1.0"

__all__ = [
    "Graph", "Node", "grad", "evaluate", "explain", "gradcheck", "GradcheckReport", "ops",
    "formula", "latex", "check", "CheckReport",
    "compile", "CompiledFunction",
    "optim", "train", "History",
    "GraphcError", "GraphError", "ShapeError", "DTypeError", "FeedError",
    "DifferentiationError", "DomainError", "ClaimError",
    "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "abs", "sigmoid", "tanh", "relu",
    "matmul", "transpose", "sum", "mean", "softmax", "log_softmax", "cross_entropy", "bce",
    "bce_with_logits", "mse", "elementwise_op",
    "conv2d", "max_pool2d", "avg_pool2d",
    "reshape", "flatten", "concat", "step", "leaky_relu", "mae", "hinge", "squared_hinge",
    "argmax", "accuracy",
]
