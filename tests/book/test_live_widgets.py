"""The live widgets in the built site: the JS the site ships computes what PyTorch computes on the
weights the pages exported, and each widget works in a browser that can reach no other host."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from bs4 import BeautifulSoup
from nnbook.autoencoders import ConvAutoencoder
from nnbook.book.kernel import widgets
from nnbook.engine.data import load_mnist
from nnbook.models import MyNet
from node_js import node_eval
from test_sphinxext import PAGE

MNIST_PAGE, AE_PAGE = "book/mnist_mynet", "book/autoencoders"
N_IMAGES = 600  # real test images for MyNet's parity: enough to meet many kinds of strokes


def exported(book, page: str, kind: str) -> dict:
    """The payload a page's widget carries in the built HTML, its arrays decoded to NumPy."""
    doc = BeautifulSoup(book.page_path(page).read_text(encoding="utf-8"), "html.parser")
    roots = doc.select(f'[data-widget="{kind}"]')
    assert len(roots) == 1, f"{page} has {len(roots)} {kind} widgets"
    widget = json.loads(roots[0].select_one("script.nnbook-widget-data").string)
    assert widget["kind"] == kind
    return widgets.decode_payload(widget["data"])


def site_js(book):
    return book.html / "_static" / "widgets"


# --- parity on the exported weights ---------------------------------------------------------------

@pytest.fixture(scope="module")
def mynet_payload(built_book):
    return exported(built_book, MNIST_PAGE, "digit-pad")


@pytest.mark.book
def test_the_site_mynet_reads_real_test_digits_as_pytorch_does(built_book, mynet_payload):
    weights = mynet_payload["weights"]
    assert all(w.dtype == np.float16 for w in weights.values())
    model = MyNet().eval()
    model.load_state_dict({k: torch.tensor(w.astype(np.float32)) for k, w in weights.items()})
    X = load_mnist(download=False).X_test[:N_IMAGES]
    assert len(X) >= 500
    with torch.no_grad():
        want = model(X.unsqueeze(1).float() / 255).double()
    got = node_eval(
        "const pad = load('digit_pad.js'); const d = NNLib.decodePayload(data);"
        "const out = []; for (let i = 0; i < d.X.shape[0]; i++) out.push(pad.myNetLogits("
        " d.weights, Array.from(d.X.data.subarray(784 * i, 784 * (i + 1)), v => v / 255)));"
        "return out;",
        widgets.encode_payload({"weights": {k: widgets.widget_array(w) for k, w in
                                            weights.items()}, "X": X.numpy()}),
        site_js(built_book))
    got = torch.tensor(got, dtype=torch.float64)
    assert torch.equal(got.argmax(dim=1), want.argmax(dim=1))
    difference = float((got - want).abs().max())
    print(f"MyNet, {len(X)} test images: largest logit difference {difference:.2e}")
    assert difference <= 1e-4


@pytest.mark.book
def test_the_exported_examples_include_misread_ones(mynet_payload):
    examples = mynet_payload["examples"]
    wrong = examples["labels"] != examples["predictions"]
    assert 0 < wrong.sum() < len(wrong)


@pytest.fixture(scope="module")
def decoder_payload(built_book):
    return exported(built_book, AE_PAGE, "latent-explorer")


def decoder_from(payload) -> ConvAutoencoder:
    model = ConvAutoencoder(2).eval()
    decoder = payload["decoder"]
    for index, name in ((0, "linear"), (3, "up1"), (5, "up2")):
        for tensor in ("weight", "bias"):
            getattr(model.decoder[index], tensor).data = torch.tensor(decoder[name][tensor])
    return model


@pytest.mark.book
def test_the_site_decoder_draws_what_pytorch_draws(built_book, decoder_payload):
    z1_lo, z1_hi, z2_lo, z2_hi = decoder_payload["bounds"]
    rng = np.random.default_rng(0)
    Z = np.column_stack([rng.uniform(z1_lo, z1_hi, 150), rng.uniform(z2_lo, z2_hi, 150)])
    Z = np.concatenate([Z, decoder_payload["codes"][:50].astype(np.float64)])
    with torch.no_grad():
        want = decoder_from(decoder_payload).decode(torch.tensor(Z, dtype=torch.float32)).double()
    got = node_eval(
        "const le = load('latent_explorer.js'); const d = NNLib.decodePayload(data);"
        "const out = []; for (let i = 0; i < d.Z.shape[0]; i++)"
        " out.push(le.decode(d.decoder, [d.Z.data[2 * i], d.Z.data[2 * i + 1]]));"
        "return out;",
        widgets.encode_payload({"decoder": {k: v if isinstance(v, list) else
                                            {t: widgets.widget_array(a) for t, a in v.items()}
                                            for k, v in decoder_payload["decoder"].items()},
                                "Z": Z}),
        site_js(built_book))
    got = torch.tensor(got, dtype=torch.float64).reshape(want.shape)
    difference = float((got - want).abs().max())
    print(f"decoder, {len(Z)} codes: largest pixel difference {difference:.2e}")
    assert difference <= 1 / 255


# --- in the browser -------------------------------------------------------------------------------

STARTED = """
const done = arguments[arguments.length - 1];
const deadline = Date.now() + 30000;
(function wait() {
  const root = document.querySelector('[data-widget="' + arguments_kind + '"]');
  if (root && root.dataset.widgetStarted && root.querySelector("[data-widget-output]")) {
    root.scrollIntoView({block: "center"});
    return done("ok");
  }
  if (Date.now() > deadline) return done("timeout");
  setTimeout(wait, 50);
})();
"""


def open_widget(browser, page: str, kind: str):
    browser.get(f"{page}.html")
    assert browser.run_async(STARTED.replace("arguments_kind", json.dumps(kind))) == "ok"
    return browser.driver.find_element("css selector", f'[data-widget="{kind}"]')


def output_text(root) -> str:
    return root.find_element("css selector", "[data-widget-output]").text


def clean(browser):
    assert not browser.console_errors()
    assert not browser.foreign_requests()


@pytest.mark.book
@pytest.mark.browser
def test_a_drawn_stroke_is_read_and_the_test_images_load(browser, mynet_payload):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    root = open_widget(browser, MNIST_PAGE, "digit-pad")
    pad = root.find_element("css selector", "canvas[role=application]")
    assert output_text(root) == "Draw a digit."
    # A "1": one vertical stroke down the middle of the pad
    (ActionChains(browser.driver).move_to_element_with_offset(pad, 0, -80).click_and_hold()
     .move_by_offset(3, 40).move_by_offset(3, 40).move_by_offset(3, 40).move_by_offset(3, 40)
     .release().perform())
    browser.run("return new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")
    drawn = output_text(root)
    assert drawn.startswith("MyNet reads ") and "probability" in drawn, drawn
    bars = root.find_elements("css selector", "[role=listitem]")
    assert len(bars) == 10

    examples = mynet_payload["examples"]
    wrong_button = root.find_element("xpath", ".//button[contains(., 'gets wrong')]")
    for _ in range(3):  # each misread test image: the page's JS misreads it as PyTorch did
        wrong_button.click()
        browser.run("return new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")
        status = root.find_element("xpath", ".//p[contains(., 'Test image')]").text
        index = int(status.split()[2]) - 1
        assert examples["labels"][index] != examples["predictions"][index]
        assert output_text(root).startswith(f"MyNet reads {examples['predictions'][index]} ")

    pad.send_keys(Keys.DELETE)  # the keyboard alone: clear, pen down, a stroke, pen up
    browser.run("return new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")
    assert output_text(root) == "Draw a digit."
    pad.send_keys(Keys.SPACE, *[Keys.ARROW_DOWN] * 8, Keys.SPACE)
    browser.run("return new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")
    assert output_text(root).startswith("MyNet reads ")
    clean(browser)


@pytest.mark.book
@pytest.mark.browser
def test_the_pad_follows_dark_mode(browser):
    root = open_widget(browser, MNIST_PAGE, "digit-pad")
    corner = ("const c = arguments[0].querySelector('canvas[role=application]');"
              "return Array.from(c.getContext('2d').getImageData(0, 0, 1, 1).data.slice(0, 3));")
    light = browser.run(corner, root)
    browser.run("document.documentElement.dataset.theme = 'dark';")
    browser.run("return new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))")
    dark = browser.run(corner, root)
    browser.run("document.documentElement.dataset.theme = 'light';")
    assert sum(light) > 600 and sum(dark) < 150, (light, dark)


@pytest.mark.book
@pytest.mark.browser
def test_moving_over_the_latent_plane_decodes_the_code(browser, decoder_payload):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    root = open_widget(browser, AE_PAGE, "latent-explorer")
    plane = root.find_element("css selector", "canvas[role=application]")
    pixels = ("const c = arguments[0].querySelector('canvas[role=img]');"
              "const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;"
              "return Array.from(d.filter((v, i) => i % 4 === 0));")
    seen = []
    for dx, dy in ((-100, -100), (100, 90)):
        ActionChains(browser.driver).move_to_element_with_offset(plane, dx, dy).perform()
        code = [float(v) for v in root.get_attribute("data-code").split(",")]
        with torch.no_grad():
            want = decoder_from(decoder_payload).decode(torch.tensor([code]))[0, 0]
        shown = torch.tensor(browser.run(pixels, root), dtype=torch.float64).reshape(28, 28)
        assert (shown - 255 * want.double()).abs().max() <= 1  # the canvas holds round(255 v)
        seen.append((output_text(root), code))
    assert seen[0] != seen[1] and seen[0][0].startswith("Decoding the code (")
    ActionChains(browser.driver).move_to_element_with_offset(plane, -100, -100).click().perform()
    ActionChains(browser.driver).move_to_element_with_offset(plane, 100, 90).click().perform()
    strip = root.find_element("css selector", "div[role=img]")
    assert strip.get_attribute("aria-label") == "Images decoded along the line from A to B"
    before = root.get_attribute("data-code")
    plane.send_keys(Keys.ARROW_LEFT, Keys.ARROW_UP, Keys.ESCAPE)
    assert root.get_attribute("data-code") != before
    assert strip.get_attribute("aria-label") == "No walk chosen yet"
    clean(browser)


# --- the renderer, in a tiny book: the widget on the site, a PNG and a sentence in LaTeX ----------

TINY_CELL = """:tags: [remove-input]

import numpy as np
from matplotlib.figure import Figure
from nnbook.book.kernel.widgets import show_widget, widget_array

show_widget("demo", {"w": widget_array(np.arange(3.0), "float32")}, Figure((2, 1)),
            "On the site, a demo widget stands here.", label="A demo widget")"""


@pytest.mark.book
def test_a_widget_renders_live_on_the_site_and_as_a_figure_in_latex(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    book = tmp_path / "book"
    book.mkdir()
    (book / "_config.yml").write_text("title: tiny\nonly_build_toc_files: true\n"
                                      "sphinx:\n  extra_extensions: [nnbook.book.sphinxext]\n")
    (book / "_toc.yml").write_text("format: jb-book\nroot: page\n")
    (book / "page.md").write_text(PAGE.format(title="A widget", code=TINY_CELL))
    jb = Path(sys.executable).with_name("jupyter-book")
    for builder in ("html", "latex"):
        result = subprocess.run([str(jb), "build", str(book), "-W", "-n", "--builder", builder,
                                 "--path-output", str(tmp_path / builder)],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    site = tmp_path / "html" / "_build" / "html"
    page = (site / "page.html").read_text()
    root = BeautifulSoup(page, "html.parser").select_one('[data-widget="demo"]')
    assert root["aria-label"] == "A demo widget" and root["role"] == "region"
    data = json.loads(root.select_one("script.nnbook-widget-data").string)
    np.testing.assert_array_equal(widgets.decode_payload(data["data"])["w"], [0.0, 1.0, 2.0])
    assert "fallback" not in data and "image/png" not in page
    assert "_static/widgets/nnlib.js" in page
    for name in ("nnlib.js", "widgets.css"):
        assert (site / "_static" / "widgets" / name).is_file()
    tex = next((tmp_path / "latex" / "_build" / "latex").glob("*.tex")).read_text()
    assert "On the site, a demo widget stands here." in tex
    assert re.search(r"\\sphinxincludegraphics(\[[^\]]*\])?\{\{[^{}]+\}\.png\}", tex)
    assert "nnbook-widget" not in tex and "base64" not in tex
