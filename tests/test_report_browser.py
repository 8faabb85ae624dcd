"""The backprop report in a real browser (headless chromium through Selenium): clicking a
node fills the panel, the slider moves the highlight, a code line lights its node, the
screenshot is not blank, and no request leaves the page.

Without chromium or chromedriver these tests fail (not skip), saying that `make test`
installs them; tests/browser.py holds the code `make docs` shares.
"""

import pytest

from browser import PAYLOAD, chrome, colours, hostile, neuron, screenshot, show, \
    write_neuron_report

CLAIMS = ["d loss/d z = sigmoid(-1) - 1"]


@pytest.fixture(scope="module")
def ids():
    ns = neuron()
    return {name: str(ns[name].id) for name in ("x", "w", "z", "yhat", "loss")}


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    return write_neuron_report(tmp_path_factory.mktemp("report") / "neuron.html", CLAIMS)


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    browser = chrome(tmp_path_factory.mktemp("chromium-profile"))
    yield browser
    browser.quit()


@pytest.fixture
def opened(driver, page):
    show(driver, page)
    return driver


def panel(driver):
    return driver.find_element("id", "gc-panel").text


def node(driver, v):
    return driver.find_element("css selector", f'#gc-diagram g.node[data-node="{v}"]')


def classes(element):
    return (element.get_attribute("class") or "").split()


def test_clicking_a_node_shows_what_it_computes(opened, ids):
    node(opened, ids["yhat"]).click()
    text = panel(opened)
    assert "node yhat" in text
    assert "yhat = 0.2689 = sigmoid(-1)" in text
    assert "dloss/dyhat x dyhat/dz = dloss/dz" in text
    assert "-3.718 x 0.1966 = -0.7311" in text          # upstream x local = product
    assert "exact: dloss/dz = -1 + sigmoid(-1)" in text
    maths = opened.find_elements("css selector", "#gc-panel math")
    assert maths and "yhat" in maths[0].text             # the local derivative, as MathML
    node(opened, ids["z"]).click()
    text = panel(opened)
    assert "z = -1" in text and "dloss/dz = -0.7311 = -1 + sigmoid(-1)" in text


def test_clicking_an_edge_shows_its_product(opened):
    edge = opened.find_element("css selector", '#gc-diagram g.edge[data-edge="2"]')
    opened.execute_script("arguments[0].dispatchEvent(new MouseEvent('click'))", edge)
    text = panel(opened)
    assert "edge z -> yhat" in text and "-3.718 x 0.1966 = -0.7311" in text


def test_the_slider_walks_backprop_a_node_at_a_time(opened, ids):
    opened.execute_script("var s = document.getElementById('gc-step'); s.value = '2';"
                          "s.dispatchEvent(new Event('input'));")
    current = opened.find_elements("css selector", "#gc-diagram g.node.current")
    assert [g.get_attribute("data-node") for g in current] == [ids["yhat"]]
    assert "step 2 of 3: at yhat" in opened.find_element("id", "gc-step-text").text
    active = opened.find_elements("css selector", "#gc-diagram g.edge.active")
    assert len(active) == 1 and "todo" in classes(
        opened.find_element("css selector", '#gc-diagram g.edge[data-edge="0"]'))
    opened.find_element("id", "gc-step").send_keys("\ue014")  # the right arrow key
    current = opened.find_elements("css selector", "#gc-diagram g.node.current")
    assert [g.get_attribute("data-node") for g in current] == [ids["z"]]
    assert "node z" in panel(opened)


def test_a_code_line_lights_up_its_node(opened, ids):
    from selenium.webdriver.common.action_chains import ActionChains
    line = opened.find_element(
        "xpath", "//section[@id='gc-code']//span[starts-with(normalize-space(), 'dloss_dz =')]")
    assert line.get_attribute("data-node") == ids["z"]
    ActionChains(opened).move_to_element(line).perform()
    assert "lit" in classes(node(opened, ids["z"]))
    assert "lit" not in classes(node(opened, ids["yhat"]))


def test_the_claims_show_their_verdicts(opened):
    rows = opened.find_elements("css selector", "#gc-claims tr.holds")
    assert len(rows) == 1 and "d loss/d z" in rows[0].text


def test_a_fresh_screenshot_is_not_blank(driver, page, tmp_path):
    data = screenshot(driver, page, tmp_path / "shot.png")
    assert data.startswith(b"\x89PNG") and colours(data) > 100
    assert (tmp_path / "shot.png").read_bytes() == data


def test_no_request_leaves_the_page(driver, page):
    import json
    driver.get_log("performance")  # what earlier tests did: not this test's business
    show(driver, page)
    node(driver, neuron()["yhat"].id).click()
    urls = [json.loads(entry["message"])["message"]["params"]["request"]["url"]
            for entry in driver.get_log("performance")
            if '"Network.requestWillBeSent"' in entry["message"]]
    assert urls and all(u.startswith(("file:", "data:")) for u in urls), urls


def test_names_that_are_markup_never_run(driver, tmp_path):
    """Each name of the hostile graph runs a script (setting window.pwned) if it ever
    becomes markup: on being drawn, on a click on its node or edge, on a step."""
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.support.ui import WebDriverWait
    import graphc as gc
    loss, at = hostile()
    show(driver, gc.report(loss, at=at, path=tmp_path / "hostile.html"))
    groups = driver.find_elements("css selector",
                                  "#gc-diagram g[data-node], #gc-diagram g[data-edge]")
    assert len(groups) > 8
    for group in groups:
        driver.execute_script("arguments[0].dispatchEvent(new MouseEvent('click'));"
                              "arguments[0].dispatchEvent(new MouseEvent('mouseover'))", group)
        assert driver.find_elements("css selector", "#gc-panel p")
    driver.execute_script("var s = document.getElementById('gc-step'); s.value = '3';"
                          "s.dispatchEvent(new Event('input'));")
    # an image that failed has fired its error event: an onerror= had its chance to run
    WebDriverWait(driver, 20).until(lambda d: d.execute_script(
        "return Array.prototype.every.call(document.images, function (i) {"
        " return i.complete; })"))
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text
    assert driver.execute_script("return window.pwned") is None
    assert driver.find_elements("css selector", "#gc-panel img, #gc-panel svg") == []
    # the names show as the characters they are, inside MathML elements
    edge = driver.find_element("css selector", '#gc-diagram g.edge[data-edge="1"]')
    driver.execute_script("arguments[0].dispatchEvent(new MouseEvent('click'))", edge)
    math = driver.find_element("css selector", "#gc-panel math")
    assert driver.execute_script("return arguments[0].namespaceURI", math) == \
        "http://www.w3.org/1998/Math/MathML"
    assert driver.execute_script("return arguments[0].textContent", math) == PAYLOAD


def test_in_a_sandboxed_frame_the_page_still_works(driver, tmp_path):
    """As Jupyter shows it (``Report._repr_html_``): its own origin, its script running."""
    import graphc as gc
    ns = neuron()
    notebook = tmp_path / "notebook.html"
    notebook.write_text(f"<!DOCTYPE html><html><body>"
                        f"{gc.report(ns['loss'], at=ns['AT'])._repr_html_()}</body></html>")
    driver.get(notebook.resolve().as_uri())
    driver.switch_to.frame(driver.find_element("tag name", "iframe"))
    try:
        assert driver.execute_script(  # the notebook's page is out of its reach
            "try { return window.parent.document.body.tagName; }"
            " catch (err) { return err.name; }") == "SecurityError"
        node(driver, ns["yhat"].id).click()
        assert "yhat = 0.2689 = sigmoid(-1)" in panel(driver)
        assert driver.find_elements("css selector", "#gc-panel math")
    finally:
        driver.switch_to.default_content()
