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
from .check import CheckReport, GradcheckReport, check, gradcheck
from .compile import CompiledFunction, compile
from .display import report
from .errors import (ClaimError, DifferentiationError, DomainError, DTypeError, FeedError,
                     GraphcError, GraphError, SettingError, ShapeError)
from .errors import NonFiniteError
from .evaluate import evaluate
from .explain import explain
from .graph import Graph, Node
from .graph import layers as nn
from .graph.build import (abs, accuracy, add, argmax, avg_pool2d, bce, bce_with_logits,
                          concat, conv2d, cross_entropy, div, elementwise_op, exp, flatten,
                          hinge, leaky_relu, log, log_softmax, mae, matmul, max_pool2d, mean,
                          mse, mul, neg, pow, relu, reshape, sigmoid, softmax, squared_hinge,
                          step, sub, sum, tanh, transpose)
from .graph.build import embedding, expand_dims, pad, repeat, squeeze, stack, tile
from .graph.build import logsumexp, max, min, prod, std, var  # noqa: A004
from .graph.build import attention, batch_norm, BatchNorm, causal_mask, dropout, layer_norm
from .graph.io import SavedGraphError, load, load_params, save_params
from .graph.build import clip, gelu, maximum, minimum, sign, silu, sqrt, square, where
from .symbolic import formula, latex
from .train import History, optim, train

__version__ = "0.1.0"

__all__ = [
    "Graph", "Node", "grad", "evaluate", "explain", "gradcheck", "GradcheckReport", "ops",
    "formula", "latex", "check", "CheckReport",
    "compile", "CompiledFunction", "report",
    "optim", "train", "History",
    "GraphcError", "GraphError", "ShapeError", "DTypeError", "FeedError",
    "DifferentiationError", "DomainError", "ClaimError", "SettingError",
    "NonFiniteError",
    "add", "sub", "mul", "div", "pow", "neg", "exp", "log", "abs", "sigmoid", "tanh", "relu",
    "matmul", "transpose", "sum", "mean", "softmax", "log_softmax", "cross_entropy", "bce",
    "bce_with_logits", "mse", "elementwise_op",
    "conv2d", "max_pool2d", "avg_pool2d",
    "reshape", "flatten", "concat", "step", "leaky_relu", "mae", "hinge", "squared_hinge",
    "argmax", "accuracy",
    "stack", "squeeze", "expand_dims", "pad", "tile", "repeat", "embedding",
    "max", "min", "var", "std", "logsumexp", "prod",
    "layer_norm", "batch_norm", "BatchNorm", "dropout", "attention", "causal_mask",
    "nn",
    "sqrt", "square", "sign", "maximum", "minimum", "where", "clip", "gelu", "silu",
    "load", "save_params", "load_params", "SavedGraphError",
]
