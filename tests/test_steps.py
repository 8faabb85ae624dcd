"""visualize.steps and graphc steps: backprop frame by frame, as a multi-page PDF, numbered
SVGs or an animation (GIF, APNG), rendered by the real dot program and read back (pypdf for
pages, XML for SVG, Pillow for animations)."""

import re
import sys
import xml.etree.ElementTree as ET

import pytest
from pypdf import PdfReader

import graphc as gc
import visualize
from cmdline import graphc, graphc_in_process
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
    assert "dir=back" in done  # drawn as in the gradient flow: the arrow from the loss back


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


@pytest.fixture(scope="module")
def gif(tmp_path_factory):
    """The neuron's frames as an animated GIF, written once for the tests that read it."""
    g, loss = neuron()
    return visualize.steps(loss, at=AT, path=tmp_path_factory.mktemp("gif") / "neuron.gif")


def animation_frames(path):
    """Every frame of an animation as an RGB image, and how long each is shown (ms) and
    how often the animation loops (0: forever)."""
    from PIL import Image, ImageSequence
    with Image.open(path) as im:
        shots = [(f.convert("RGB"), f.info["duration"]) for f in ImageSequence.Iterator(im)]
        return [s for s, _ in shots], {"durations": [d for _, d in shots],
                                       "loop": im.info["loop"]}


def test_an_animated_gif_has_one_frame_per_step_all_the_same_size(gif):
    shots, info = animation_frames(gif)
    assert gif.suffix == ".gif" and len(shots) == 3
    assert len({shot.size for shot in shots}) == 1
    assert info == {"loop": 0, "durations": [2000, 2000, 5000]}  # the last one stays
    for shot in shots:  # not blank: dark text on the white page
        darkest, lightest = shot.convert("L").getextrema()
        assert darkest < 64 and lightest == 255
    assert len({shot.tobytes() for shot in shots}) == 3  # each step looks different
    assert not [p for p in gif.parent.iterdir() if p.name != "neuron.gif"]


def test_an_animated_png_and_the_same_bytes_each_time(tmp_path, gif):
    g, loss = neuron()
    png = visualize.steps(loss, at=AT, path=tmp_path / "neuron.png")
    shots, _ = animation_frames(png)
    assert len(shots) == 3 and len({shot.size for shot in shots}) == 1
    from PIL import Image
    with Image.open(png) as im:
        assert im.format == "PNG" and im.is_animated
    again = visualize.steps(loss, at=AT, path=tmp_path / "again.gif")
    assert again.read_bytes() == gif.read_bytes()


def test_an_unknown_suffix_lists_the_choices(tmp_path):
    g, loss = neuron()
    with pytest.raises(visualize.RenderError, match=r"'\.bmp'; use one of \.apng, \.gif, "
                                                    r"\.pdf, \.png, or a folder"):
        visualize.steps(loss, at=AT, path=tmp_path / "neuron.bmp")
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_gets_svgs_whatever_its_name(tmp_path):
    g, loss = neuron()
    folder = tmp_path / "week.3"
    folder.mkdir()
    paths = visualize.steps(loss, path=folder)  # no point: the frames show formulas
    assert [p.name for p in paths] == ["step_1.svg", "step_2.svg", "step_3.svg"]


def test_a_shorter_run_into_the_same_folder_leaves_no_stale_frames(tmp_path):
    g, loss = neuron()
    for i in range(1, 13):  # an earlier, longer run: step_01 ... step_12, and a user's file
        (tmp_path / f"step_{i:02d}.svg").write_text("old")
    (tmp_path / "notes.svg").write_text("mine")
    paths = visualize.steps(loss, at=AT, path=tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "notes.svg", "step_1.svg", "step_2.svg", "step_3.svg"]
    assert all(p.read_text() != "old" for p in paths)


def scalar_graph(kind):
    """A loss nothing flows back from: a parameter itself, or an op of constants."""
    g = gc.Graph("no flow")
    if kind == "param":
        return g, g.param("w")
    return g, (g.const("a", 2.0) * g.const("b", 3.0)).named("loss")


@pytest.mark.parametrize("kind,what", [("param", "'w' is a parameter itself"),
                                       ("const", "'loss' (mul) depends on no parameter")])
@pytest.mark.parametrize("suffix", [".gif", ".pdf", ""])
def test_a_loss_nothing_flows_back_from_has_no_steps_and_writes_nothing(tmp_path, kind, what,
                                                                        suffix):
    g, loss = scalar_graph(kind)
    at = {"w": 1.0} if kind == "param" else {}
    message = re.escape(f"no backprop steps to draw: the loss {what}")
    with pytest.raises(gc.GraphError, match=message):
        visualize.steps(loss, at=at, path=tmp_path / f"z{suffix}")
    assert list(tmp_path.iterdir()) == []


def test_without_pillow_the_message_says_what_to_install(tmp_path, monkeypatch):
    g, loss = neuron()
    monkeypatch.setitem(sys.modules, "PIL", None)  # import PIL now fails
    with pytest.raises(visualize.RenderError, match=r"pip install graphc\[frames\]"):
        visualize.steps(loss, at=AT, path=tmp_path / "neuron.gif")
    assert list(tmp_path.iterdir()) == []


def test_without_dot_an_animation_leaves_the_dot_sources(tmp_path, monkeypatch):
    g, loss = neuron()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(visualize.RenderError, match="install Graphviz"):
        visualize.steps(loss, at=AT, path=tmp_path / "neuron.gif")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neuron"]


# ---- graphc steps ---------------------------------------------------------------------------

def test_graphc_steps_writes_a_gif(tmp_path):
    out = tmp_path / "frames.gif"
    result = graphc("steps", "examples/neuron.py", "-o", out)
    assert result.returncode == 0, result.stderr
    assert f"wrote {out} (backprop of 'sigmoid neuron', step by step)" in result.stderr
    assert len(animation_frames(out)[0]) == 3


def test_graphc_steps_pdf_with_at_before_file(tmp_path):
    out = tmp_path / "frames.pdf"
    result = graphc_in_process("steps", "--at", "w=0,0", "examples/neuron.py", "-o", out)
    assert result.returncode == 0, result.stderr
    pages = PdfReader(str(out)).pages
    assert len(pages) == 3 and "-0.5" in pages[2].extract_text()  # sigmoid(0) - 1


def test_graphc_steps_to_a_folder(tmp_path):
    out = tmp_path / "frames"
    result = graphc_in_process("steps", "examples/neuron.py", "-o", out)
    assert result.returncode == 0, result.stderr
    assert f"wrote 3 SVG frames in {out}" in result.stderr
    assert "-3.718 x 0.1966 = -0.7311" in " ".join(texts(out / "step_2.svg"))


def test_graphc_steps_of_a_loss_with_no_steps_is_one_line(tmp_path):
    script = tmp_path / "flat.py"
    script.write_text("import graphc as gc\ng = gc.Graph('flat')\nloss = g.param('w')\n"
                      "at = {'w': 1.0}\n")
    for out in (tmp_path / "z.gif", tmp_path / "z.pdf", tmp_path / "frames"):
        result = graphc_in_process("steps", script, "-o", out)
        assert result.returncode == 2, result.stderr
        assert "graphc: error: no backprop steps to draw: the loss 'w'" in result.stderr
        assert "--" not in result.stderr and not out.exists()


def test_graphc_steps_says_frame_for_one_frame(tmp_path):
    script = tmp_path / "one.py"
    script.write_text("import graphc as gc\ng = gc.Graph('one')\nw = g.param('w')\n"
                      "loss = gc.sigmoid(w).named('loss')\nat = {'w': 0.0}\n")
    result = graphc_in_process("steps", script, "-o", tmp_path / "frames")
    assert result.returncode == 0, result.stderr
    assert f"wrote 1 SVG frame in {tmp_path / 'frames'} (" in result.stderr


def test_graphc_steps_bad_suffix_and_missing_output(tmp_path):
    result = graphc_in_process("steps", "examples/neuron.py", "-o", tmp_path / "f.jpg")
    assert result.returncode == 2 and "unknown suffix '.jpg'" in result.stderr
    assert ".gif" in result.stderr and "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
    result = graphc_in_process("steps", "examples/neuron.py")
    assert result.returncode == 2 and "-o/--output" in result.stderr


def test_graphc_steps_frames_chooses_steps_and_past_200_is_needed(tmp_path):
    script = tmp_path / "deep.py"
    script.write_text("import graphc as gc\ng = gc.Graph('deep')\nh = g.param('w')\n"
                      "for _ in range(200):\n    h = gc.tanh(h)\nloss = gc.tanh(h).named('loss')\n"
                      "at = {'w': 0.5}\n")
    result = graphc_in_process("steps", script, "-o", tmp_path / "all")
    assert result.returncode == 2 and not (tmp_path / "all").exists()
    assert ("graphc: error: --frames: backprop through 'loss' takes 201 steps, more than "
            "200 frames: choose a range, e.g. frames=range(0, 50) (graphc steps --frames "
            "0:50)") in result.stderr
    assert "collapse=None" in result.stderr and "Traceback" not in result.stderr
    result = graphc_in_process("steps", script, "--frames", "199:", "-o", tmp_path / "last")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "last").iterdir()) == ["step_1.svg",
                                                                     "step_2.svg"]
    assert "step 201 of 201" in " ".join(texts(tmp_path / "last" / "step_2.svg"))
    result = graphc_in_process("steps", script, "--frames", "50", "-o", tmp_path / "bad")
    assert result.returncode == 2 and "expected FIRST:STOP such as 0:50, got '50'" \
        in result.stderr


def test_frames_with_a_range_are_those_steps():
    _, loss = neuron()
    every = [d.source for d in frames(loss, at=AT)]
    assert [d.source for d in frames(loss, at=AT, frames=range(1, 3))] == every[1:]
    assert [d.source for d in frames(loss, at=AT, frames=slice(-1, None))] == every[-1:]
