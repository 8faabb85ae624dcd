"""The backprop report in a real browser: Debian's chromium driven by Selenium.

One home for the code the browser test and ``make docs`` share: starting a headless
chromium that never touches the network, writing the report of examples/neuron.py, and
taking its screenshot. ``python tests/browser.py docs/neuron_report.png`` (``make docs``)
writes the README's screenshot.
"""

import io
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WINDOW = (1500, 1000)
#: The claims the README's screenshot shows checked (a student's two steps).
CLAIMS = ["d loss/d z = sigmoid(-1) - 1", "d loss/d w = (sigmoid(-1) - 1) * x"]
MISSING = ("the browser test needs Debian's chromium and chromium-driver ({what} not found "
           "on PATH); `make test` installs them (its `browser` target), or run "
           "`sudo apt-get install chromium chromium-driver`")


def executables():
    """The paths of chromium and chromedriver; AssertionError saying how to get them."""
    found = {name: shutil.which(name) for name in ("chromium", "chromedriver")}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise AssertionError(MISSING.format(what=" and ".join(missing)))
    return found["chromium"], found["chromedriver"]


def chrome(profile):
    """A headless chromium (its profile in the folder ``profile``) with performance logging,
    so a test can list every request the page made. The driver is passed explicitly, so
    Selenium Manager never downloads one."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    binary, driver = executables()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


def neuron():
    """The namespace of examples/neuron.py (its graph, loss and point)."""
    import runpy
    return runpy.run_path(str(ROOT / "examples" / "neuron.py"), run_name="neuron_example")


#: A node name that runs a script wherever it becomes markup (the test watches window.pwned).
PAYLOAD = '<img src=x onerror="window.pwned=1">'


def hostile():
    """A graph whose every name is markup (one of them ``PAYLOAD``): its loss and a point."""
    import graphc as gc
    g = gc.Graph('<b onmouseover="window.pwned=2">g</b>')
    a, b = g.input(PAYLOAD), g.input("b&'\"<>")
    c = g.input('</mi></math><svg onload="window.pwned=3">')
    loss = (gc.sigmoid(a * b) * c).named("<script>window.pwned=4</script>")
    return loss, {a.name: 2, b.name: 3, c.name: 1}


def write_neuron_report(path, claims=None):
    """The report of the lecture neuron at the slide's point, written to ``path``."""
    import graphc as gc
    ns = neuron()
    return gc.report(ns["loss"], at=ns["AT"], claims=claims, path=path)


def show(driver, path):
    """Open the report at ``path`` (a file:// URL) and wait for its script to have run."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    driver.get(Path(path).resolve().as_uri())
    WebDriverWait(driver, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#gc-diagram g.node[data-node]"))


def screenshot(driver, path, png):
    """A screenshot of the report at ``path`` as the README shows it: the step slider at
    the sigmoid's step, so the panel shows a local derivative. Returns the PNG's bytes
    (also written to ``png`` when given, atomically)."""
    show(driver, path)
    driver.execute_script(
        "var s = document.getElementById('gc-step'); s.value = '2';"
        "s.dispatchEvent(new Event('input'));")
    data = driver.get_screenshot_as_png()
    if png is not None:
        from graphc.files import write_atomic
        write_atomic(png, lambda f: f.write(data))
    return data


def colours(data):
    """How many distinct colours the PNG ``data`` holds (a blank page has one)."""
    from PIL import Image
    image = Image.open(io.BytesIO(data)).convert("RGB")
    found = image.getcolors(maxcolors=1 << 20)
    return len(found) if found is not None else 1 << 20


def main(png="docs/neuron_report.png"):
    """``make docs``: write the report of the neuron and the screenshot ``png``."""
    with tempfile.TemporaryDirectory() as folder:
        page = write_neuron_report(Path(folder) / "neuron_report.html", CLAIMS)
        driver = chrome(Path(folder) / "profile")
        try:
            data = screenshot(driver, page, ROOT / png)
        finally:
            driver.quit()
    count = colours(data)
    if count < 16:
        raise SystemExit(f"the screenshot {png} looks blank ({count} colours)")
    print(f"wrote {png}: the backprop report of examples/neuron.py ({count} colours)")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(*sys.argv[1:])
