"""A small convolutional network (the conv layers of seeds 000 and 002) that reads digits.

    x (N, 1, 8, 8) -> conv1: conv2d, 4 filters 3x3, padding 1 -> relu   (N, 4, 8, 8)
                   -> pool1: max_pool2d 2x2                            (N, 4, 4, 4)
                   -> fc:    flatten -> linear to 10 classes           (N, 10)
                   -> loss:  softmax cross-entropy with the labels

With padding 1 a 3x3 filter keeps the size, as the slide's formula says:
floor((n - k + p + s) / s) = floor((8 - 3 + 2 + 1) / 1) = 8; the 2x2 pooling halves it to 4.

The images are made in code, nothing is downloaded: the digits 0-9 drawn from 5x6 bitmap
templates (below) into an 8x8 image, shifted by up to one pixel each way, with Gaussian
noise (seeded generators: 800 training and 200 test images). The example

  1. checks the CNN's gradients once against finite differences (gc.gradcheck, 2 images),
  2. trains it with gc.train (minibatches of 20, SGD with momentum, seed 0) for 15 epochs,
     printing the mean training loss of each epoch,
  3. prints the test accuracy: 95.0% (190 of the 200 test images), the same on every run
     (other seeds give 93-97%),
  4. draws the network with its layers as scopes: one box per layer (collapse=True) in
     OUT_DIR/cnn_digits.svg, every node inside its layer's box in cnn_digits_forward.svg.

Run it (about 3 s):      python examples/cnn_digits.py [OUT_DIR]      (OUT_DIR: out)
Generate its code:      graphc compile examples/cnn_digits.py -o cnn_digits_generated.py
"""

import sys
from pathlib import Path

import numpy as np

import graphc as gc

# The ten digits as 6 rows of 5 pixels ("#" is ink).
TEMPLATES = {
    0: [".###.", "#...#", "#...#", "#...#", "#...#", ".###."],
    1: ["..#..", ".##..", "..#..", "..#..", "..#..", ".###."],
    2: [".###.", "#...#", "...#.", "..#..", ".#...", "#####"],
    3: ["####.", "....#", ".###.", "....#", "....#", "####."],
    4: ["...#.", "..##.", ".#.#.", "#####", "...#.", "...#."],
    5: ["#####", "#....", "####.", "....#", "#...#", ".###."],
    6: [".###.", "#....", "####.", "#...#", "#...#", ".###."],
    7: ["#####", "....#", "...#.", "..#..", ".#...", ".#..."],
    8: [".###.", "#...#", ".###.", "#...#", "#...#", ".###."],
    9: [".###.", "#...#", "#...#", ".####", "....#", ".###."],
}
CLASSES = len(TEMPLATES)
SIZE = 8
NOISE = 0.2  # standard deviation of the Gaussian noise added to every pixel (ink is 1)


def glyph(digit):
    """The digit's template centred in an 8x8 image: rows 1-6, columns 1-5, 0 elsewhere, so
    a shift by one pixel in any direction keeps all of it."""
    image = np.zeros((SIZE, SIZE))
    rows = TEMPLATES[digit]
    image[1:1 + len(rows), 1:1 + len(rows[0])] = [[c == "#" for c in row] for row in rows]
    return image


def digits(n, seed):
    """``n`` noisy, shifted digit images ``(n, 1, 8, 8)`` and their labels ``(n,)``,
    the classes taking turns."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % CLASSES
    images = np.zeros((n, 1, SIZE, SIZE))
    for i, digit in enumerate(labels):
        dy, dx = rng.integers(-1, 2, size=2)  # a shift of -1, 0 or +1 pixel each way
        images[i, 0] = np.roll(glyph(digit), (dy, dx), axis=(0, 1))  # wraps only zeros
    images += rng.normal(scale=NOISE, size=images.shape)
    return {"x": images, "labels": labels}


# ---- the network, one scope per layer ---------------------------------------------------

g = gc.Graph("cnn digits")
x = g.input("x", shape=("N", 1, SIZE, SIZE))
labels = g.input("labels", shape=("N",), dtype="int64")
with g.scope("conv1"):
    w1 = g.param("w1", shape=(4, 1, 3, 3), init="he")  # 4 filters, 1 channel, 3x3
    b1 = g.param("b1", shape=(4,))
    z1 = gc.conv2d(x, w1, b1, padding=1).named("z1")                  # (N, 4, 8, 8)
    h1 = gc.relu(z1).named("h1")
with g.scope("pool1"):
    p1 = gc.max_pool2d(h1, 2).named("p1")                             # (N, 4, 4, 4)
with g.scope("fc"):
    w2 = g.param("w2", shape=(4 * 4 * 4, CLASSES))                    # xavier
    b2 = g.param("b2", shape=(CLASSES,))
    flat = gc.flatten(p1).named("flat")                               # (N, 64)
    logits = (flat @ w2 + b2).named("logits")                         # (N, 10)
with g.scope("loss"):
    loss = gc.cross_entropy(logits, labels).named("loss")
acc = gc.accuracy(logits, labels).named("accuracy")
PARAMS = [w1, b1, w2, b2]

EPOCHS, BATCH, LR, MOMENTUM, SEED = 15, 20, 0.05, 0.9, 0


def check_gradients(seed=0):
    """gc.gradcheck of every parameter on a batch of two images at the initial values."""
    tiny = digits(2, seed=seed + 100)
    return gc.gradcheck(loss, PARAMS, at={**tiny, **g.initial_params(seed=seed)})


def train(seed=SEED):
    """The gc.train History of the CNN on 800 training images."""
    return gc.train(loss, g.initial_params(seed=seed), digits(800, seed=1), epochs=EPOCHS,
                    batch_size=BATCH, lr=LR, momentum=MOMENTUM, seed=seed, progress=False)


def test_set_accuracy(params):
    """The fraction of the 200 test images (their own generator seed) classified right."""
    (value,) = gc.compile([acc], unused="ignore")(**digits(200, seed=2), **params)
    return float(value)


def main(out_dir="out"):
    print(g.summary())
    report = check_gradients()
    print(f"\nThe CNN's gradients on 2 images:\n{report}\n")
    history = train()
    print(f"Training on 800 images, {EPOCHS} epochs of minibatches of {BATCH}, "
          f"lr {LR}, momentum {MOMENTUM}, seed {SEED}:")
    for epoch, value in enumerate(history.losses, start=1):
        print(f"  epoch {epoch:2d}: train loss {value:.4f}")
    accuracy = test_set_accuracy(history.params)
    print(f"\ntest accuracy: {accuracy:.3f} ({round(accuracy * 200)} of 200 test images)\n")
    import visualize  # only here: loading this file for graphc compile needs no Graphviz
    for name, collapse in (("cnn_digits.svg", True), ("cnn_digits_forward.svg", False)):
        path = visualize.export(visualize.draw(loss, collapse=collapse), Path(out_dir) / name)
        what = "one box per layer" if collapse else "every node, in its layer's box"
        print(f"A diagram of the network ({what}) is in {path}")


if __name__ == "__main__":
    main(*sys.argv[1:])
