"""Hand-written vectorized NumPy forward+backward of each workload in workloads.py: the
careful version a person would write, to measure graphc's generated code against.

- BCE of a sigmoid from its logits (log1p of exp(-|z|), a stable sigmoid), softmax
  cross-entropy through a stable log-softmax, MSE; all means over every element, as
  graphc's (and PyTorch's) losses are.
- Masks as comparisons (``z > 0``), matrix products on transposed views, bias gradients
  as one sum over the batch, gradients updated in place where the buffer is our own.
- conv by im2col (``sliding_window_view`` of the padded input, one copy, one matrix
  product per batch), 2x2 max-pooling by reshape; x is an input, so no col2im.

Every function keeps the workload's dtype (float32 stays float32) and returns the loss and
then the gradient of every param, in the order of ``Workload.params``.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def make(w):
    """forward+backward of workload ``w``: a function of the feeds dict."""
    head = HEADS[w.head]
    layers = len(w.layers)
    act = ACTS[w.act]

    def run(feeds):
        h = feeds["X"]
        if w.conv:
            cols, zc, hc, h = conv_forward(h, feeds["wc"], feeds["bc"])
        hs, zs = [h], []
        for i in range(1, layers + 1):
            z = hs[-1] @ feeds[f"W{i}"] + feeds[f"b{i}"]
            zs.append(z)
            hs.append(act[0](z) if i < layers or w.last_act else z)
        loss, dh = head(hs[-1], feeds[w.target])
        grads = []
        for i in range(layers, 0, -1):
            dz = act[1](dh, zs[i - 1], hs[i]) if i < layers or w.last_act else dh
            grads[:0] = [hs[i - 1].T @ dz, dz.sum(axis=0)]
            if i > 1 or w.conv:
                dh = dz @ feeds[f"W{i}"].T
        if w.conv:
            grads[:0] = conv_backward(dh, cols, zc, hc, feeds["wc"].shape)
        return (loss, *grads)

    return run


# ---- activations: (forward, backward(dh, z, h) -> dz) ------------------------------------

def _tanh_back(dh, z, h):
    return dh * (1 - h * h)  # tanh' = 1 - tanh^2


def _relu_back(dh, z, h):
    dh *= z > 0  # relu'(0) = 0; dh is our own buffer (a fresh matrix product)
    return dh


ACTS = {"tanh": (np.tanh, _tanh_back), "relu": (lambda z: np.maximum(z, 0), _relu_back)}


# ---- losses: (loss, dloss/dh) ---------------------------------------------------------------

def bce_logits(z, y):
    """mean BCE of sigmoid(z) against y, from the logits: finite for any z."""
    e = np.exp(-np.abs(z))
    loss = np.mean(np.maximum(z, 0) - z * y + np.log1p(e))
    sig = np.where(z >= 0, 1, e) / (1 + e)  # stable sigmoid
    sig -= y
    sig /= z.size
    return loss, sig


def cross_entropy(logits, labels):
    """mean softmax cross-entropy of integer labels, through a stable log-softmax."""
    n = logits.shape[0]
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    loss = -np.mean(shifted[rows, labels] - np.log(total[:, 0]))
    e /= total  # softmax - one_hot, over the batch
    e[rows, labels] -= 1
    e /= n
    return loss, e


def mse(h, y):
    d = h - y
    loss = np.mean(d * d)
    d *= 2 / d.size
    return loss, d


HEADS = {"bce": bce_logits, "ce": cross_entropy, "mse": mse}


# ---- conv 3x3 pad 1, relu, 2x2 max-pool, flatten -------------------------------------------

def conv_forward(x, wc, bc):
    """(im2col columns, conv output, relu, pooled and flattened) for x (N, C, H, W)."""
    n, _, height, width = x.shape
    f = wc.shape[0]
    cols = conv_columns(x)
    zc = wc.reshape(f, -1) @ cols + bc[:, None]  # (N, F, H*W)
    blocks = np.maximum(zc, 0).reshape(n, f, height // 2, 2, width // 2, 2)
    pooled = blocks.max(axis=(3, 5), keepdims=True)
    return cols, zc, (blocks, pooled), pooled.reshape(n, -1)


def conv_columns(x):
    """im2col of x (N, C, H, W) for a 3x3 kernel, padding 1: (N, C*9, H*W), one copy."""
    n, c, height, width = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    windows = sliding_window_view(padded, (3, 3), axis=(2, 3))  # (N, C, H, W, 3, 3)
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * 9, height * width)


def conv_backward(dflat, cols, zc, pooling, wshape):
    """(dwc, dbc) from the gradient of the flattened pooled output."""
    blocks, pooled = pooling
    dpool = dflat.reshape(pooled.shape)
    dhc = (blocks == pooled) * dpool  # ties are relu's zeros, masked below
    dzc = dhc.reshape(zc.shape)
    dzc *= zc > 0
    dwc = np.tensordot(dzc, cols, axes=([0, 2], [0, 2])).reshape(wshape)
    return dwc, dzc.sum(axis=(0, 2))
