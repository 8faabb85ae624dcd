"""Shape ops and embeddings (issue 14): stack, squeeze, expand_dims, pad, tile, repeat and
embedding; values against NumPy, gradients (copies and repeated ids summed) against finite
differences and by hand, generated code against the interpreter, formulas, exact values,
and bad arguments named."""

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import graphc as gc
from graphc.symbolic import exact_values

from graphs import oracle

RNG = np.random.default_rng(14)


def weighted(node, seed=0):
    """A scalar depending on every element of ``node`` with distinct weights."""
    w = np.random.default_rng(seed).uniform(0.5, 1.5, size=node.shape)
    return gc.sum(node * w), w


def agree(nodes, at):
    """The generated code gives the interpreter's values, dtypes and shapes."""
    compiled = gc.compile(nodes, unused="ignore")(**at)
    for c, r in zip(compiled, oracle(nodes, at=at), strict=True):
        assert isinstance(c, np.ndarray) and c.dtype == r.dtype and c.shape == r.shape
        np.testing.assert_allclose(c, r, rtol=1e-12, atol=1e-12)
    return compiled


CASES = [  # (builder, NumPy, x's shape)
    (lambda x: gc.stack([x, 2 * x, x], axis=1),
     lambda a: np.stack([a, 2 * a, a], axis=1), (3, 2)),
    (lambda x: gc.stack([x, x], axis=-1), lambda a: np.stack([a, a], axis=-1), (3, 2)),
    (lambda x: gc.squeeze(x), np.squeeze, (3, 1, 2, 1)),
    (lambda x: gc.squeeze(x, axis=-1), lambda a: np.squeeze(a, -1), (3, 1, 2, 1)),
    (lambda x: gc.expand_dims(x, 0), lambda a: np.expand_dims(a, 0), (3, 2)),
    (lambda x: gc.expand_dims(x, (0, 3)), lambda a: np.expand_dims(a, (0, 3)), (3, 2)),
    (lambda x: gc.pad(x, 1), lambda a: np.pad(a, 1), (3, 2)),
    (lambda x: gc.pad(x, (0, 2), value=-1.5), lambda a: np.pad(a, (0, 2), constant_values=-1.5),
     (3, 2)),
    (lambda x: gc.pad(x, ((0, 1), (2, 1))), lambda a: np.pad(a, ((0, 1), (2, 1))), (3, 2)),
    (lambda x: gc.pad(x, ((1, 0),)), lambda a: np.pad(a, ((1, 0),)), (3, 2)),
    (lambda x: gc.tile(x, 3), lambda a: np.tile(a, 3), (3, 2)),
    (lambda x: gc.tile(x, (2, 1, 2)), lambda a: np.tile(a, (2, 1, 2)), (3, 2)),
    (lambda x: gc.repeat(x, 3), lambda a: np.repeat(a, 3), (3, 2)),
    (lambda x: gc.repeat(x, 2, axis=0), lambda a: np.repeat(a, 2, axis=0), (3, 2)),
    (lambda x: gc.repeat(x, 2, axis=-1), lambda a: np.repeat(a, 2, axis=-1), (3, 2)),
]


@pytest.mark.parametrize("build,numpy,shape", CASES)
def test_shape_ops_give_numpys_values_and_their_gradients(build, numpy, shape):
    g = gc.Graph()
    x = g.input("x", shape=shape)
    y = build(x)
    at = {"x": RNG.normal(size=shape)}
    expected = numpy(at["x"])
    assert y.shape == expected.shape
    np.testing.assert_array_equal(gc.evaluate(y, at=at), expected)
    loss, _ = weighted(y)
    assert gc.gradcheck(loss, [x], at=at)
    agree([y, loss] + gc.grad(loss, [x]), at)


def test_tile_and_repeat_gradients_sum_the_copies():
    """Every copy of an element sends its weight back: the gradient of sum(w * tile(x)) is
    w folded onto x's shape and summed, the same for repeat."""
    g = gc.Graph()
    x = g.input("x", shape=(2, 3))
    at = {"x": RNG.normal(size=(2, 3))}
    loss, w = weighted(gc.tile(x, (2, 2)))
    (dx,) = gc.grad(loss, [x])
    np.testing.assert_allclose(gc.evaluate(dx, at=at), w.reshape(2, 2, 2, 3).sum(axis=(0, 2)))
    loss, w = weighted(gc.repeat(x, 4, axis=1), seed=1)
    (dx,) = gc.grad(loss, [x])
    np.testing.assert_allclose(gc.evaluate(dx, at=at), w.reshape(2, 3, 4).sum(axis=2))


def test_pad_gradient_is_the_slice_where_x_was_put():
    g = gc.Graph()
    x = g.input("x", shape=(3, 2))
    loss, w = weighted(gc.pad(x, ((0, 1), (2, 1)), value=7.0))
    (dx,) = gc.grad(loss, [x])
    np.testing.assert_allclose(gc.evaluate(dx, at={"x": np.ones((3, 2))}), w[0:3, 2:4])


def test_named_dimensions_pass_where_no_copy_or_padding_is_made():
    g = gc.Graph()
    x = g.input("x", shape=("N", 3))
    ys = [gc.pad(x, ((0, 0), (1, 2))), gc.repeat(x, 2, axis=1), gc.tile(x, (1, 2)),
          gc.expand_dims(x, 1), gc.stack([x, x], axis=1)]
    assert [y.shape for y in ys] == [("N", 6), ("N", 6), ("N", 6), ("N", 1, 3), ("N", 2, 3)]
    losses = [weighted(gc.squeeze(gc.expand_dims(y, 0), 0).sum(axis=0))[0] for y in ys]
    at = {"x": RNG.normal(size=(4, 3))}
    for loss in losses:
        assert gc.gradcheck(loss, [x], at=at)
    agree(losses + gc.grad(sum(losses[1:], losses[0]), [x]), at)


def test_embedding_picks_rows_and_sums_the_gradients_of_repeated_ids():
    g = gc.Graph()
    table = g.param("E", shape=(5, 3))
    ids = g.input("ids", shape=(2, 4), dtype="int64")
    y = gc.embedding(table, ids)
    assert y.shape == (2, 4, 3) and y.dtype == "float64"
    at = {"E": RNG.normal(size=(5, 3)), "ids": np.array([[0, 1, 1, 4], [1, 1, 2, 2]])}
    np.testing.assert_array_equal(gc.evaluate(y, at=at), at["E"][at["ids"]])
    loss, w = weighted(y)
    (dE,) = gc.grad(loss, [table])
    expected = np.zeros((5, 3))
    np.add.at(expected, at["ids"].ravel(), w.reshape(-1, 3))
    np.testing.assert_allclose(gc.evaluate(dE, at=at), expected)
    assert not expected[3].any() and np.allclose(expected[1], w[0, 1] + w[0, 2] + w[1, :2].sum(0))
    assert gc.gradcheck(loss, [table], at=at)
    agree([y, loss, dE], at)


def test_embedding_of_one_id_and_of_a_batch_of_named_size():
    g = gc.Graph()
    table = g.param("E", shape=(4, 2))
    one = gc.embedding(table, g.input("i", shape=(), dtype="int64"))
    batch = gc.embedding(table, g.input("tokens", shape=("N", 3), dtype="int64"))
    assert one.shape == (2,) and batch.shape == ("N", 3, 2)
    at = {"E": np.arange(8.0).reshape(4, 2), "i": 3, "tokens": [[0, 0, 0], [3, 2, 1]]}
    np.testing.assert_array_equal(gc.evaluate(one, at=at), [6.0, 7.0])
    loss = gc.sum(batch) + gc.sum(one)
    (dE,) = gc.grad(loss, [table])
    np.testing.assert_array_equal(agree([dE], at)[0], [[3, 3], [1, 1], [1, 1], [2, 2]])


def test_an_id_out_of_range_is_a_clear_error_in_the_interpreter_and_the_compiled_code():
    g = gc.Graph()
    table = g.param("E", shape=(5, 3))
    ids = g.input("ids", shape=(3,), dtype="int64")
    y = gc.embedding(table, ids).named("vectors")
    at = {"E": np.ones((5, 3)), "ids": [0, 7, -1]}
    message = r"id 7 is out of range \[0, 5\) at index 1 for a table of 5 rows \(2 bad ids\)"
    with pytest.raises(gc.DomainError, match="node 'vectors' \\(embedding of 'E', 'ids'\\)"):
        oracle([y], at=at)
    with pytest.raises(gc.DomainError, match=message):
        gc.compile([y])(**at)
    (dE,) = gc.grad(gc.sum(y), [table])
    with pytest.raises(gc.DomainError, match="embedding: id 7"):
        gc.compile([dE])(**at)


def test_formulas_and_exact_values():
    g = gc.Graph()
    a, b = g.input("a", shape=(2,)), g.input("b", shape=(2,))
    table = g.param("E", shape=(3, 2))
    ids = g.input("ids", shape=(2,), dtype="int64")
    assert str(gc.formula(gc.stack([a, b]))) == "stack((a, b), axis=0)"
    assert gc.latex(gc.stack([a, b], axis=1)) == \
        r"\operatorname{stack}_{1}\left(a, b\right)"
    assert str(gc.formula(gc.pad(a, (1, 0)))) == "pad(a, ((1, 0),))"
    assert str(gc.formula(gc.repeat(a, 2))) == "repeat(a, 2, axis=None)"
    assert str(gc.formula(gc.embedding(table, ids))) == "embedding(E, ids)"
    half = sp.Rational(1, 2)
    at = {"a": [0.5, 1.0], "b": [2.0, 0.25], "E": [[1, 2], [3, 4], [0.5, 0]], "ids": [2, 2]}
    values = exact_values([gc.sum(gc.pad(a, 1, value=0.5)), gc.sum(gc.tile(b, 2)),
                           gc.sum(gc.embedding(table, ids) * a)], at)
    assert values == [sp.Rational(5, 2), sp.Rational(9, 2), 2 * (half * half)]


@pytest.mark.parametrize("build,message", [
    (lambda x, n: gc.stack([x, n]), r"stack of 'x' \(3, 2\), 'n' \(N, 2\): the operands "
                                    r"must all have one shape"),
    (lambda x, n: gc.squeeze(x, 0), r"squeeze of 'x' \(3, 2\): axis 0 has size 3, not 1"),
    (lambda x, n: gc.expand_dims(x, None), r"expand_dims of 'x' \(3, 2\): give the axis"),
    (lambda x, n: gc.expand_dims(x, 3), r"expand_dims: axis 3 is out of range"),
    (lambda x, n: gc.pad(x, ((1, 1), (1, 1), (1, 1))), r"pad_width has 3 pairs for 2 axes"),
    (lambda x, n: gc.pad(x, -1), r"pad of 'x' \(3, 2\): each padding must be an int >= 0"),
    (lambda x, n: gc.pad(x, "same"), r"pad_width must be an int n, a pair"),
    (lambda x, n: gc.pad(x, 1, value="zero"), r"value must be a number, got 'zero'"),
    (lambda x, n: gc.pad(x.sum(), 1), r"pad of 'sum\d*' \(\): a scalar has no axis to pad"),
    (lambda x, n: gc.pad(n, 1), r"axis 0 has the named size N, which cannot be padded"),
    (lambda x, n: gc.tile(x, 0), r"tile of 'x' \(3, 2\): each of reps must be an int >= 1"),
    (lambda x, n: gc.tile(n, (2, 1)), r"the named dimension N must come before every axis "
                                      r"that is copied \(axis 0\)"),
    (lambda x, n: gc.tile(n, (1, 1, 2)), r"the named dimension N must come before every "
                                         r"axis that is copied \(a new leading axis\)"),
    (lambda x, n: gc.repeat(x, (2, 3)), r"repeat of 'x' \(3, 2\): repeats \(one int\) must"),
    (lambda x, n: gc.repeat(n, 2), r"the named dimension N must come before"),
    (lambda x, n: gc.repeat(x, 2, axis=2), r"repeat: axis 2 is out of range"),
])
def test_bad_arguments_are_named(build, message):
    g = gc.Graph()
    x, n = g.input("x", shape=(3, 2)), g.input("n", shape=("N", 2))
    with pytest.raises(gc.ShapeError, match=message):
        build(x, n)


def test_stack_wants_a_list_and_pad_takes_minus_infinity():
    g = gc.Graph()
    x = g.input("x", shape=(3, 2))
    with pytest.raises(gc.GraphError, match=r"stack takes a list of nodes, "
                                            r"gc.stack\(\[a, b\]\), got the node 'x' itself"):
        gc.stack(x)
    y = gc.pad(x, 1, value=-np.inf)
    (out,) = agree([y], {"x": np.ones((3, 2))})
    assert out[0, 0] == -np.inf and out[1, 1] == 1.0


def test_embedding_wants_a_float_table_and_integer_ids():
    g = gc.Graph()
    table = g.param("E", shape=(5, 3))
    with pytest.raises(gc.ShapeError, match=r"ids 'x' \(4,\) \(float64\): the table must be "
                                            r"\(V, D\) floats and the ids integers"):
        gc.embedding(table, g.input("x", shape=(4,)))
    with pytest.raises(gc.ShapeError, match=r"embedding of table 'v' \(5,\)"):
        gc.embedding(g.param("v", shape=(5,)), g.input("i", shape=(4,), dtype="int64"))


def test_the_readmes_embedding_block_prints_what_it_shows(capsys):
    """The README's block, run as it stands, prints the gradient its comment shows."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = next(b.split("```")[0] for b in readme.split("```python")[1:]
                 if "gc.embedding(E, tokens)" in b)
    exec(compile(block, "README.md", "exec"), {})  # noqa: S102  (the README's own code)
    shown = block.split("print(")[-1].split("# ")[1].split(":")[0]
    assert capsys.readouterr().out.strip() == shown == "[ 6. 24. 12.  0.  6.]"


def test_a_pads_formula_names_its_value_as_its_exact_value_uses_it():
    g = gc.Graph("pad value")
    x = g.input("x", shape=(2,))
    assert str(gc.formula(gc.pad(x, 1, value=2.0))) == "pad(x, ((1, 1),), value=2)"
    assert str(gc.formula(gc.pad(x, 1))) == "pad(x, ((1, 1),))"
    assert list(gc.evaluate(gc.pad(x, 1, value=2.0), at={"x": [1, 2]})) == [2, 1, 2, 2]
