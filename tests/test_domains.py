"""Values outside what an op accepts, and values that are not finite: the same message from
``gc.evaluate``, from compiled code and from a saved standalone module (a ValueError
there, or a FloatingPointError for the finite check), naming the node, the op, its
operands and the first bad value with its position.
"""

import importlib.util

import numpy as np
import pytest

import graphc as gc
from cmdline import ROOT, graphc_in_process

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # nan and inf on purpose


def standalone(f, path):
    """The module ``f`` saves, imported as a user imports it (no graphc in it)."""
    spec = importlib.util.spec_from_file_location(path.stem, f.save(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def messages(nodes, feeds, tmp_path, error=gc.DomainError, builtin=ValueError, opt=1,
             **options):
    """The messages of evaluate, of compiled code (at ``opt``) and of the standalone
    module at ``feeds``: each must raise (``error``, or ``builtin`` where graphc is not
    there); ``options`` go to evaluate and compile."""
    with pytest.raises(error) as evaluated:
        gc.evaluate(nodes, at=feeds, **options)
    f = gc.compile(nodes, unused="ignore", opt=opt, **options)
    with pytest.raises(error) as compiled:
        f(**feeds)
    module = standalone(f, tmp_path / "standalone_module.py")
    with pytest.raises(builtin) as alone:
        module.run(**feeds)
    assert not isinstance(alone.value, gc.GraphcError)
    return str(evaluated.value), str(compiled.value), str(alone.value)


def same_message(nodes, feeds, tmp_path, *pieces, **options):
    texts = messages(nodes, feeds, tmp_path, **options)
    assert texts[0] == texts[1] == texts[2], texts
    missing = [p for p in pieces if p not in texts[0]]
    assert not missing, f"{texts[0]!r} lacks {missing}"
    return texts[0]


def classifier(target_dtype="int64", target_shape=(2,)):
    g = gc.Graph("clf")
    z = g.input("z", shape=(2, 3))
    y = g.input("y", shape=target_shape, dtype=target_dtype)
    return g, z, y, gc.cross_entropy(z, y).named("loss")


# ---- class labels and ids out of range ---------------------------------------------------

def test_a_label_out_of_range_names_node_op_input_value_and_position(tmp_path):
    g, z, y, loss = classifier()
    feeds = {"z": np.zeros((2, 3)), "y": np.array([0, 5])}
    text = same_message(loss, feeds, tmp_path)
    assert text == ("node 'loss' (cross_entropy of 'z', 'y'): class label 5 is out of "
                    "range [0, 3) at index 1 (1 bad labels)")


def test_a_label_out_of_range_with_the_gradient_names_the_node_computed(tmp_path):
    g, z, y, loss = classifier()
    (dz,) = gc.grad(loss, [z])
    feeds = {"z": np.zeros((2, 3)), "y": np.array([-1, 2])}
    same_message([loss, dz], feeds, tmp_path, "'loss'", "'y'", "class label -1",
                 "at index 0", "[0, 3)")
    same_message([dz], feeds, tmp_path, "'y'", "class label -1", "at index 0")


def test_labels_of_a_sequence_give_their_index_as_a_tuple(tmp_path):
    g = gc.Graph("seq")
    z = g.input("z", shape=(2, 2, 4))
    y = g.input("labels", shape=(2, 2), dtype="int64")
    hits = gc.accuracy(z, y).named("hits")
    feeds = {"z": np.zeros((2, 2, 4)), "labels": np.array([[0, 1], [9, 4]])}
    same_message(hits, feeds, tmp_path, "node 'hits' (accuracy of 'z', 'labels')",
                 "class label 9 is out of range [0, 4) at index (1, 0) (2 bad labels)")


def test_uint64_labels_past_the_int64_range_are_refused_with_their_true_value(tmp_path):
    g, z, y, loss = classifier()
    feeds = {"z": np.zeros((2, 3)), "y": np.array([0, 2 ** 63 + 5], dtype=np.uint64)}
    texts = messages(loss, feeds, tmp_path, error=gc.FeedError)
    for text in texts:
        assert "'y'" in text and "9223372036854775813" in text and "int64" in text, text
        assert "-9223372036854775803" not in text and "holds -" not in text, text
    assert texts[0] == texts[1] == texts[2]


def test_integers_that_fit_the_input_dtype_still_pass_whatever_their_own_dtype():
    g, z, y, loss = classifier()
    f = gc.compile(loss)
    z0 = np.zeros((2, 3))
    for labels in (np.array([0, 2], dtype=np.uint64), np.array([0, 2], dtype=np.int8),
                   [0, 2], np.array([True, False])):
        assert f(z=z0, y=labels) == pytest.approx(np.log(3))
        assert gc.evaluate(loss, at={"z": z0, "y": labels}) == pytest.approx(np.log(3))


def test_an_int64_feed_past_an_int32_input_is_refused_not_wrapped():
    g = gc.Graph("small")
    z = g.input("z", shape=(1, 3))
    y = g.input("y", shape=(1,), dtype="int32")
    loss = gc.cross_entropy(z, y).named("loss")
    with pytest.raises(gc.FeedError, match=r"'y'.*4294967297.*int32"):
        gc.compile(loss)(z=np.zeros((1, 3)), y=np.array([2 ** 32 + 1]))


def test_an_embedding_id_out_of_range_names_node_op_and_position(tmp_path):
    g = gc.Graph("emb")
    table = g.param("E", shape=(5, 3))
    ids = g.input("ids", shape=(3,), dtype="int64")
    vectors = gc.embedding(table, ids).named("vectors")
    feeds = {"E": np.ones((5, 3)), "ids": np.array([0, 7, -1])}
    text = same_message(vectors, feeds, tmp_path)
    assert text == ("node 'vectors' (embedding of 'E', 'ids'): embedding: id 7 is out of "
                    "range [0, 5) at index 1 for a table of 5 rows (2 bad ids)")
    (dE,) = gc.grad(gc.sum(vectors), [table])
    same_message(dE, feeds, tmp_path, "'ids'", "id 7", "at index 1")


def test_a_hinge_label_that_is_not_a_sign_names_node_and_position(tmp_path):
    g = gc.Graph("svm")
    s, y = g.input("s", shape=(3,)), g.input("y", shape=(3,))
    loss = gc.hinge(s, y).named("loss")
    same_message(loss, {"s": np.zeros(3), "y": np.array([1.0, -1.0, 0.0])}, tmp_path,
                 "node 'loss' (hinge of 's', 'y'): label 0.0 is not -1 or +1 at index 2")


# ---- probability targets -----------------------------------------------------------------

def test_a_target_row_that_is_not_a_probability_row_is_a_domain_error(tmp_path):
    g, z, y, loss = classifier("float64", (2, 3))
    feeds = {"z": np.zeros((2, 3)), "y": np.array([[0.0, 1.0, 0.0], [2.0, -1.0, 0.0]])}
    text = same_message(loss, feeds, tmp_path)
    assert text.startswith("node 'loss' (cross_entropy of 'z', 'y'): target row 1 ")
    assert "[2.0, -1.0, 0.0]" in text and "2.0 is outside [0, 1]" in text
    (dz,) = gc.grad(loss, [z])
    same_message([loss, dz], feeds, tmp_path, "'loss'", "target row 1", "[2.0, -1.0, 0.0]")


def test_a_target_row_that_does_not_sum_to_one_is_a_domain_error(tmp_path):
    g, z, y, loss = classifier("float64", (2, 3))
    feeds = {"z": np.zeros((2, 3)), "y": np.array([[0.5, 0.2, 0.2], [0.0, 0.0, 1.0]])}
    same_message(loss, feeds, tmp_path, "'loss'", "cross_entropy", "target row 0",
                 "sums to 0.9", "(1 bad rows)")
    g = gc.Graph("one")
    z, y = g.input("z", shape=(3,)), g.input("y", shape=(3,))
    same_message(gc.cross_entropy(z, y).named("loss"),
                 {"z": np.zeros(3), "y": np.zeros(3)}, tmp_path, "target row [0.0, 0.0, 0.0]",
                 "sums to 0 ")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_soft_labels_that_are_probabilities_stay_fine(dtype):
    g, z, y, loss = classifier(dtype, (2, 3))
    (dz,) = gc.grad(loss, [z])
    rows = np.array([[0.1, 0.2, 0.7], [1 / 3, 1 / 3, 1 / 3]], dtype=dtype)
    logits = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]], dtype=dtype)
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -np.mean(np.sum(rows * log_p, axis=1))
    for opt in (0, 1, 2):
        value, _ = gc.compile([loss, dz], opt=opt)(z=logits, y=rows)
        assert value == pytest.approx(expected, rel=1e-5)
    assert gc.evaluate(loss, at={"z": logits, "y": rows}) == pytest.approx(expected, rel=1e-5)


def neuron(make_loss):
    g = gc.Graph("neuron")
    p, y = g.input("p", shape=(2,)), g.input("y", shape=(2,))
    return p, make_loss(p, y).named("loss")


@pytest.mark.parametrize("make_loss, op", [  # the user's op, though the passes rewrote it
    (lambda p, y: gc.bce(gc.sigmoid(p).named("yhat"), y), "bce of 'yhat'"),
    (lambda p, y: gc.bce_with_logits(p, y), "bce_with_logits of 'p'"),
    (lambda p, y: gc.bce(p, y), "bce of 'p'")])
@pytest.mark.parametrize("opt", [0, 1, 2])
def test_a_bce_target_outside_zero_one_is_a_domain_error(make_loss, op, opt, tmp_path):
    p, loss = neuron(make_loss)
    (dp,) = gc.grad(loss, [p])
    feeds = {"p": np.array([0.3, 0.6]), "y": np.array([0.5, 2.0])}
    text = same_message(loss, feeds, tmp_path, opt=opt)
    assert text == (f"node 'loss' ({op}, 'y'): target 2.0 at index 1 is outside "
                    f"[0, 1] (1 bad targets)")
    same_message([loss, dp], feeds, tmp_path, "'loss'", "target 2.0", opt=opt)


def test_bce_targets_in_zero_one_stay_fine_and_nan_follows_ieee():
    p, loss = neuron(lambda p, y: gc.bce(gc.sigmoid(p), y))
    at = {"p": np.array([0.3, -0.6]), "y": np.array([0.0, 1.0])}
    for opt in (0, 1, 2):
        assert gc.compile(loss, opt=opt)(**at) == pytest.approx(gc.evaluate(loss, at=at))
    nan = gc.compile(loss)(p=[0.3, 0.6], y=[np.nan, 0.5])
    assert np.isnan(nan)
    assert np.isnan(gc.evaluate(loss, at={"p": [0.3, 0.6], "y": [np.nan, 0.5]}))


def test_a_scalar_bce_target_outside_zero_one_has_no_index(tmp_path):
    g = gc.Graph("scalar")
    z, y = g.input("z"), g.input("y")
    loss = gc.bce(gc.sigmoid(z).named("sigmoid"), y).named("loss")
    for opt in (1, 2):  # opt=2: the tiny program on Python floats checks it too
        same_message(loss, {"z": 0.5, "y": -0.5}, tmp_path,
                     "node 'loss' (bce of 'sigmoid', 'y'): target -0.5 is outside "
                     "[0, 1] (1 bad targets)", opt=opt)


# ---- the opt-in finite check -------------------------------------------------------------

def test_the_finite_check_names_the_first_node_that_is_not_finite(tmp_path):
    g = gc.Graph("logs")
    x = g.input("x")
    y = gc.log(x).named("y")
    z = gc.exp(-y).named("z")  # nan too, but y comes first
    text = same_message(z, {"x": -1.0}, tmp_path, error=gc.NonFiniteError,
                        builtin=FloatingPointError, check_finite=True, opt=0)
    assert text == "node 'y' (log of 'x') produced nan (1 of 1 elements)"
    a = (x * 2).named("a")
    b = gc.exp(a).named("b")
    c = (b - b).named("c")  # nan, after b's inf
    same_message(c, {"x": 1000.0}, tmp_path, error=gc.NonFiniteError,
                 builtin=FloatingPointError, check_finite=True, opt=0)
    for opt in (0, 1, 2):
        with pytest.raises(FloatingPointError, match="^node 'b' \\(exp of 'a'\\) produced inf"):
            gc.compile(c, check_finite=True, opt=opt)(x=1000.0)


def test_the_finite_check_gives_kinds_index_and_count_and_checks_the_feeds(tmp_path):
    g = gc.Graph("vector")
    x, w = g.input("x", shape=(2, 2)), g.param("w", shape=(2,))
    loss = gc.sum(x * gc.exp(w).named("e")).named("loss")
    feeds = {"x": np.array([[1.0, -1.0], [2.0, 0.5]]), "w": np.array([1.0, 1000.0])}
    text = same_message(loss, feeds, tmp_path, error=gc.NonFiniteError,
                        builtin=FloatingPointError, check_finite=True, opt=0)
    assert text == "node 'e' (exp of 'w') produced inf at index 1 (1 of 2 elements)"
    fed = {**feeds, "x": np.array([[1.0, np.nan], [-np.inf, 0.5]])}
    text = same_message(loss, fed, tmp_path, error=gc.NonFiniteError,
                        builtin=FloatingPointError, check_finite=True, opt=0)
    assert text == "input 'x' holds nan and -inf at index (0, 1) (2 of 4 elements)"


@pytest.mark.parametrize("opt", [0, 1, 2])
def test_the_finite_check_at_every_level_and_finite_values_pass(opt):
    g = gc.Graph("neuron")
    x, w, y = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
    loss = gc.bce(gc.sigmoid(w @ x).named("yhat"), y).named("loss")
    nodes = [loss] + gc.grad(loss, [w])
    f = gc.compile(nodes, opt=opt, check_finite=True)
    at = {"x": [1.0, -1.0], "w": [1.0, 2.0], "y": 1.0}
    for got, want in zip(f(**at), gc.compile(nodes, opt=opt)(**at), strict=True):
        np.testing.assert_array_equal(got, want)
    assert "def compute_numpy(" not in f.source  # no float path: every value is checked
    overflow = r"^matmul of 'w', 'x' produced inf \(1 of 1 elements\)$"  # an unnamed node
    with pytest.raises(gc.NonFiniteError, match=overflow):
        f(**{**at, "x": [1e200, 1e200], "w": [1e200, 1e200]})
    assert isinstance(gc.evaluate(loss, at=at, check_finite=True), np.ndarray)


def test_without_the_flag_the_module_is_as_before_and_nan_follows_ieee():
    g = gc.Graph("logs")
    x = g.input("x")
    y = gc.log(x).named("y")
    plain = gc.compile(y)
    assert "check_finite" not in plain.source and "NonFiniteError" not in plain.source
    assert gc.compile(y, check_finite=False).source == plain.source
    with np.errstate(invalid="ignore"):
        assert np.isnan(plain(x=-1.0)) and np.isnan(gc.evaluate(y, at={"x": -1.0}))
    checked = gc.compile(y, check_finite=True)
    assert checked.source == gc.compile(y, check_finite=True).source  # deterministic


def test_graphc_compile_check_finite_writes_a_module_that_checks(tmp_path):
    out = tmp_path / "neuron_checked.py"
    result = graphc_in_process("compile", "examples/neuron.py", "--check-finite", "-o", out)
    assert result.returncode == 0, result.stderr
    source = out.read_text()
    assert "NonFiniteError = FloatingPointError" in source
    assert "check_finite(loss, \"node 'loss' (bce of " in source
    plain = graphc_in_process("compile", "examples/neuron.py")
    assert "check_finite" not in plain.stdout
    assert plain.stdout == (ROOT / "tests" / "golden" / "examples" / "neuron.py").read_text()
