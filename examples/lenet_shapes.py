"""LeNet-5 and AlexNet's first layers: output shapes and parameter counts (seeds 002, 003).

Seed 003 derives a convolution's output size, per axis,

    m = floor((n - k + p + s) / s)        (p: the padding of both sides together)

and seed 002 counts its parameters: "kh x kw x ci per filter, total (kh x kw x ci) x co".
That slide leaves the biases out; with one bias per filter the count is

    ((k * k * C) + 1) * F      with biases          k * k * C * F      without.

Here graphc's shapes and ``graph.summary()`` give both, beside the formulas. The networks
as built here (said so where they differ from the papers):

- LeNet-5 on a 32x32 grey image: conv 6 5x5, pool 2x2, conv 16 5x5, pool 2x2, conv 120
  5x5, dense 84, dense 10. Counts with biases: 156, 2,416, 48,120, 10,164, 850 (61,706 in
  all). The paper's C3 joins each of its 16 maps to only some of the 6 inputs (1,516
  parameters) and its pooling layers have 2 trainable weights a map; here C3 sees all six
  maps and pooling (max) has no parameters, as in today's re-implementations.
- AlexNet's first three conv layers on a 227x227 colour image: 96 11x11 filters at stride
  4 give 55x55 and 34,944 parameters (34,848 without biases); 3x3 max pooling at stride 2
  gives 27x27; 256 5x5 filters with padding 2 keep 27x27 (614,656); pooling gives 13x13;
  384 3x3 filters with padding 1 keep 13x13 (885,120). The paper split conv2 over two GPUs
  (groups=2, half the weights); here it is one group.

Run it:   python examples/lenet_shapes.py [OUT_DIR]     (OUT_DIR defaults to "out")
"""

import sys
from pathlib import Path

import graphc as gc

#: (layer, filters, kernel, stride, padding) of each conv layer; pooling between them.
LENET_CONVS = [("C1", 6, 5, 1, 0), ("C3", 16, 5, 1, 0), ("C5", 120, 5, 1, 0)]
ALEXNET_CONVS = [("conv1", 96, 11, 4, 0), ("conv2", 256, 5, 1, 2), ("conv3", 384, 3, 1, 1)]
#: (layer, kernel, stride) of each max pooling layer: no padding, no parameters.
POOLS = {"S2": (2, 2), "S4": (2, 2), "pool1": (3, 2), "pool2": (3, 2)}


def conv_layer(g, x, layer, filters, kernel, stride, padding):
    """conv2d with ReLU in scope ``layer``: weights ``W_layer`` (F, C, k, k), biases ``b_layer``."""
    channels = x.shape[1]
    with g.scope(layer):
        w = g.param(f"W_{layer}", shape=(filters, channels, kernel, kernel), init="he")
        b = g.param(f"b_{layer}", shape=(filters,))
        z = gc.conv2d(x, w, b, stride=stride, padding=padding).named(f"z_{layer}")
        return gc.relu(z).named(layer)


def pool_layer(g, x, layer, kernel, stride):
    with g.scope(layer):
        return gc.max_pool2d(x, kernel, stride=stride).named(layer)


def dense_layer(g, x, layer, units):
    with g.scope(layer):
        w = g.param(f"W_{layer}", shape=(x.shape[-1], units))
        b = g.param(f"b_{layer}", shape=(units,))
        return (x @ w + b).named(f"z_{layer}")


# ---- LeNet-5 ----------------------------------------------------------------------------
g = gc.Graph("LeNet-5")
x = g.input("x", shape=("N", 1, 32, 32))
labels = g.input("labels", shape=("N",), dtype="int64")
c1 = conv_layer(g, x, *LENET_CONVS[0])                     # (N, 6, 28, 28)
s2 = pool_layer(g, c1, "S2", *POOLS["S2"])                 # (N, 6, 14, 14)
c3 = conv_layer(g, s2, *LENET_CONVS[1])                    # (N, 16, 10, 10)
s4 = pool_layer(g, c3, "S4", *POOLS["S4"])                 # (N, 16, 5, 5)
c5 = conv_layer(g, s4, *LENET_CONVS[2])                    # (N, 120, 1, 1)
f6 = gc.relu(dense_layer(g, gc.flatten(c5).named("flat"), "F6", 84)).named("F6")
logits = dense_layer(g, f6, "output", 10)                  # (N, 10)
loss = gc.cross_entropy(logits, labels).named("loss")
#: (layer, its input, its output) in order.
LENET_LAYERS = [("C1", x, c1), ("S2", c1, s2), ("C3", s2, c3), ("S4", c3, s4), ("C5", s4, c5),
                ("F6", c5, f6), ("output", f6, logits)]

# ---- AlexNet's first layers -------------------------------------------------------------
alexnet = gc.Graph("AlexNet, first layers")
image = alexnet.input("image", shape=("N", 3, 227, 227))
a1 = conv_layer(alexnet, image, *ALEXNET_CONVS[0])         # (N, 96, 55, 55)
p1 = pool_layer(alexnet, a1, "pool1", *POOLS["pool1"])     # (N, 96, 27, 27)
a2 = conv_layer(alexnet, p1, *ALEXNET_CONVS[1])            # (N, 256, 27, 27)
p2 = pool_layer(alexnet, a2, "pool2", *POOLS["pool2"])     # (N, 256, 13, 13)
a3 = conv_layer(alexnet, p2, *ALEXNET_CONVS[2])            # (N, 384, 13, 13)
ALEXNET_LAYERS = [("conv1", image, a1), ("pool1", a1, p1), ("conv2", p1, a2), ("pool2", a2, p2),
                  ("conv3", p2, a3)]


def out_size(n, k, p, s):
    """Seed 003's output size: floor((n - k + p + s) / s), p both sides together."""
    return (n - k + p + s) // s


def by_formula(layer_in, filters, kernel, stride, padding):
    """(output size, params with biases, params without) of a square conv by the formulas."""
    channels, n = layer_in.shape[1], layer_in.shape[-1]
    with_b = (kernel * kernel * channels + 1) * filters
    return out_size(n, kernel, 2 * padding, stride), with_b, kernel * kernel * channels * filters


def counts(graph):
    """{layer: (params with biases, params without)} from graph.summary(): W_ and b_ rows."""
    found = {}
    for name, role, _, _, n in graph.summary().rows:
        if role == "param":
            kind, layer = name.split("_", 1)
            weights, biases = found.get(layer, (0, 0))
            found[layer] = (weights + n, biases) if kind == "W" else (weights, biases + n)
    return {layer: (w + b, w) for layer, (w, b) in found.items()}


def report(graph, layers, convs):
    """Print each layer's shape and counts beside the formulas; the mismatches, if any."""
    print(graph.summary())
    print(f"\n{graph.name}: output shapes and parameter counts (summary | formula)")
    found, convs, wrong = counts(graph), {c[0]: c for c in convs}, []
    for layer, layer_in, node in layers:
        line = f"  {layer:7s} {'(' + ', '.join(map(str, node.shape)) + ')':16s}"
        if layer in found:
            with_b, without = found[layer]
            line += f"  params {with_b:>9,} with biases, {without:>9,} without"
        if layer in convs:
            size, f_with, f_without = by_formula(layer_in, *convs[layer][1:])
            line += f"  | formula: {size}x{size}, {f_with:,} and {f_without:,}"
            if (node.shape[-1], found[layer]) != (size, (f_with, f_without)):
                wrong.append(layer)
        if layer in POOLS:
            kernel, stride = POOLS[layer]
            size = out_size(layer_in.shape[-1], kernel, 0, stride)
            line += f"  | formula: {size}x{size}"
            wrong += [layer] if node.shape[-1] != size else []
        print(line.rstrip())
    print(f"  total: {graph.summary().total:,} parameters (weights and biases)")
    return wrong


def main(out_dir="out"):
    wrong = report(g, LENET_LAYERS, LENET_CONVS)
    print()
    wrong += report(alexnet, ALEXNET_LAYERS, ALEXNET_CONVS)
    if wrong:
        sys.exit(f"graphc and the formulas disagree on {', '.join(wrong)}")
    print("\ngraph.summary() and the formulas agree on every conv and pooling layer.")
    import visualize  # only here: loading this file for graphc compile needs no Graphviz
    path = visualize.export(visualize.draw(loss, collapse=True), Path(out_dir) / "lenet.svg")
    print(f"LeNet-5, one box per layer, is in {path}")


if __name__ == "__main__":
    main(*sys.argv[1:])
