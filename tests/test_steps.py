"""visualize.steps: backprop frame by frame, as a multi-page PDF or numbered SVGs, rendered
by the real dot program and read back (pypdf for pages, XML for SVG)."""

import xml.etree.ElementTree as ET

import pytest
from pypdf import PdfReader

import graphc as gc
import visualize
from visualize.steps import frames

AT = {"x": [1, -1], "w": [1, 2], "y": 1}
SVG = "{http://www.w3.org/2000/svg}"


def neuron():
    g = gc.Graph("sigmoid neuron")
    x, w, y = g.input("x", shape=(2,)), g.param("w", shape=(2,)), g.input("y")
    loss = gc.bce(gc.sigmoid((w @ x).named("z")).named("yhat"), y).named("loss")
    return g, loss


def texts(path):
    return [t.text or "" for t in ET.parse(path).getroot().iter(f"{SVG}text")]


def test_one_frame_per_backward_step_from_the_loss_down():
    g, loss = neuron()
    shots = frames(loss, at=AT)
    assert len(shots) == 3  # loss, then yhat, then z
    heads = [s.source.splitlines()[1] for s in shots]
    assert "step 1 of 3" in heads[0] and "at loss" in heads[0]
    assert "at yhat" in heads[1] and "at z" in heads[2]


def test_edges_done_are_solid_and_labelled_the_rest_dotted():
    g, loss = neuron()
    first, second, _ = (s.source for s in frames(loss, at=AT))
    z_to_yhat = [line for line in first.splitlines() if "n3 -> n4" in line]
    assert z_to_yhat and "dotted" in z_to_yhat[0] and "label" not in z_to_yhat[0]
    done = [line for line in second.splitlines() if "n3 -> n4" in line][0]
    assert "-0.7311" in done and "dotted" not in done and "bold" in done


def test_numbered_svgs_show_the_chain_rule_product(tmp_path):
    g, loss = neuron()
    before = len(g)
    paths = visualize.steps(loss, at=AT, path=tmp_path / "frames")
    assert [p.name for p in paths] == ["step_1.svg", "step_2.svg", "step_3.svg"]
    second = " ".join(texts(paths[1]))
    assert "-3.718 x 0.1966 = -0.7311" in second
    assert len(g) == before


def test_a_multi_page_pdf_for_slides(tmp_path):
    g, loss = neuron()
    path = visualize.steps(loss, at=AT, path=tmp_path / "neuron.pdf")
    assert path == tmp_path / "neuron.pdf"
    assert len(PdfReader(str(path)).pages) == 3
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_without_dot_the_frames_dot_sources_are_written(tmp_path, monkeypatch):
    g, loss = neuron()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(visualize.RenderError, match="install Graphviz"):
        visualize.steps(loss, at=AT, path=tmp_path / "neuron.pdf")
    assert sorted(p.name for p in (tmp_path / "neuron").iterdir()) == [
        "step_01.dot", "step_02.dot", "step_03.dot"]
    assert not (tmp_path / "neuron.pdf").exists()
