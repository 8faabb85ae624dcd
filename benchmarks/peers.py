"""The frameworks a student would otherwise reach for, each an optional row: PyTorch eager,
jax.jit of value_and_grad, HIPS autograd and PyTensor (a compiled function). None is
required: ``available()`` says which import, and why the others do not.

Each peer fills in the table of ops ``workloads.model`` is written against (tanh, relu,
conv3x3, maxpool2, flatten and the losses bce, ce, mse; ``@`` and ``+`` are the
framework's own) and ``prepare(w, feeds)`` returns (a function of no arguments computing
the loss and every gradient in the order of ``w.params`` from the NumPy feeds, the
seconds its setup took: jit tracing or compilation on the first call, where there is one).
"""

import importlib
import time
from types import SimpleNamespace

import numpy as np

import workloads

PEERS = {"torch": "PyTorch eager", "jax": "jax.jit", "autograd": "HIPS autograd",
         "pytensor": "PyTensor (compiled)"}


def available():
    """{peer: (module, version)} for those that import, and {peer: why not} for the rest."""
    found, missing = {}, {}
    for name in PEERS:
        try:
            module = importlib.import_module(name)
        except Exception as e:  # noqa: BLE001  (any failure to import means "skip it")
            missing[name] = f"not importable ({type(e).__name__}: {e})".splitlines()[0]
            continue
        found[name] = (module, getattr(module, "__version__", "?"))
    return found, missing


def prepare(peer, w, feeds, threads):
    """(call, setup seconds) of ``peer`` on workload ``w`` at ``feeds``."""
    return {"torch": _torch, "jax": _jax, "autograd": _autograd,
            "pytensor": _pytensor}[peer](w, feeds, threads)


def _split(w, feeds):
    return ({k: feeds[k] for k in w.params}, {k: feeds[k] for k in w.inputs})


def _stable_bce(xp):
    return lambda z, y: xp.mean(xp.maximum(z, 0) - z * y + xp.log1p(xp.exp(-xp.abs(z))))


def _pool_by_reshape(xp):
    def maxpool2(h):
        n, c, height, width = h.shape
        return xp.max(xp.reshape(h, (n, c, height // 2, 2, width // 2, 2)), axis=(3, 5))
    return maxpool2


# ---- PyTorch eager --------------------------------------------------------------------------

def _torch(w, feeds, threads):
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    ops = SimpleNamespace(
        tanh=torch.tanh, relu=torch.relu, flatten=lambda h: h.flatten(1),
        conv3x3=lambda x, k, b: F.conv2d(x, k, b, padding=1),
        maxpool2=lambda h: F.max_pool2d(h, 2),
        bce=F.binary_cross_entropy_with_logits, ce=F.cross_entropy, mse=F.mse_loss)
    params, inputs = _split(w, feeds)

    def call():
        p = {k: torch.from_numpy(v).requires_grad_() for k, v in params.items()}
        d = {k: torch.from_numpy(v) for k, v in inputs.items()}
        loss = workloads.model(w, ops, p, d)
        grads = torch.autograd.grad(loss, [p[k] for k in w.params])
        return (loss.detach().numpy(), *(g.numpy() for g in grads))

    return call, 0.0


# ---- jax.jit(value_and_grad) ------------------------------------------------------------------

def _jax(w, feeds, threads):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)  # float64 workloads stay float64

    def ce(logits, labels):
        logp = jax.nn.log_softmax(logits, axis=1)
        return -jnp.mean(jnp.take_along_axis(logp, labels[:, None], axis=1))

    def conv3x3(x, k, b):
        z = jax.lax.conv_general_dilated(x, k, (1, 1), ((1, 1), (1, 1)))
        return z + b[None, :, None, None]

    ops = SimpleNamespace(
        tanh=jnp.tanh, relu=jax.nn.relu, flatten=lambda h: h.reshape(h.shape[0], -1),
        conv3x3=conv3x3, maxpool2=_pool_by_reshape(jnp), bce=_stable_bce(jnp), ce=ce,
        mse=lambda h, y: jnp.mean((h - y) ** 2))
    step = jax.jit(jax.value_and_grad(lambda p, d: workloads.model(w, ops, p, d)))
    params, inputs = _split(w, feeds)

    def call():
        loss, grads = step(params, inputs)
        loss.block_until_ready()
        return (np.asarray(loss), *(np.asarray(grads[k]) for k in w.params))

    start = time.perf_counter()
    call()  # tracing and XLA compilation happen on the first call
    return call, time.perf_counter() - start


# ---- HIPS autograd ---------------------------------------------------------------------------

def _autograd(w, feeds, threads):
    import autograd
    import autograd.numpy as anp
    from autograd.scipy.special import logsumexp
    import handwritten

    def ce(logits, labels):
        logp = logits - logsumexp(logits, axis=1, keepdims=True)
        return -anp.mean(logp[np.arange(logits.shape[0]), labels])

    def conv3x3(x, k, b):  # x is an input, never differentiated: im2col in plain NumPy
        cols = handwritten.conv_columns(x)
        z = anp.einsum("fk,nkp->nfp", anp.reshape(k, (k.shape[0], -1)), cols)
        return anp.reshape(z + b[:, None], (x.shape[0], k.shape[0]) + x.shape[2:])

    ops = SimpleNamespace(
        tanh=anp.tanh, relu=lambda z: anp.maximum(z, 0),
        flatten=lambda h: anp.reshape(h, (h.shape[0], -1)), conv3x3=conv3x3,
        maxpool2=_pool_by_reshape(anp), bce=_stable_bce(anp), ce=ce,
        mse=lambda h, y: anp.mean((h - y) ** 2))
    step = autograd.value_and_grad(lambda p, d: workloads.model(w, ops, p, d))
    params, inputs = _split(w, feeds)

    def call():
        loss, grads = step(params, inputs)
        return (np.asarray(loss), *(grads[k] for k in w.params))

    return call, 0.0


# ---- PyTensor, one compiled function ----------------------------------------------------------

def _pytensor(w, feeds, threads):
    import pytensor
    import pytensor.tensor as pt
    from pytensor.tensor.pad import pad
    from pytensor.tensor.special import log_softmax

    def ce(logits, labels):
        logp = log_softmax(logits, axis=1)
        return -pt.mean(logp[pt.arange(logits.shape[0]), labels])

    def conv3x3(x, k, b):  # im2col from 9 shifted slices (PyTensor 3 has no conv2d op)
        n, c, height, width = x.shape
        padded = pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
        cols = pt.stack([padded[:, :, i:i + height, j:j + width]
                         for i in range(3) for j in range(3)], axis=2)
        z = pt.matmul(k.reshape((k.shape[0], -1)), cols.reshape((n, c * 9, height * width)))
        return (z + b[:, None]).reshape((n, k.shape[0], height, width))

    ops = SimpleNamespace(
        tanh=pt.tanh, relu=lambda z: pt.maximum(z, 0), flatten=lambda h: h.flatten(2),
        conv3x3=conv3x3, maxpool2=_pool_by_reshape(pt), bce=_stable_bce(pt), ce=ce,
        mse=lambda h, y: pt.mean((h - y) ** 2))
    names = w.params + w.inputs
    syms = {k: pt.tensor(k, dtype=str(feeds[k].dtype), shape=(None,) * feeds[k].ndim)
            for k in names}
    loss = workloads.model(w, ops, {k: syms[k] for k in w.params},
                           {k: syms[k] for k in w.inputs})
    grads = pytensor.grad(loss, [syms[k] for k in w.params])
    start = time.perf_counter()
    f = pytensor.function([syms[k] for k in names], [loss] + grads)
    setup = time.perf_counter() - start
    arrays = [feeds[k] for k in names]
    return (lambda: f(*arrays)), setup
