"""The XOR playground on the built learning_features page: it carries the book run's start (the
data, seed 0's initial weights, the engine's order of the examples), and in a browser that can
reach no other host it trains, takes its settings from the URL hash and adds clicked points."""

from __future__ import annotations

import json

import numpy as np
import pytest
from bs4 import BeautifulSoup

from nnbook.book.kernel.widgets import decode_payload, xor_playground_payload
from nnbook.xor import XOR_BOOK_LR, xor_config

PAGE = "book/learning_features"
KIND = "xor-playground"

# Resolves once the page's widget has built itself (or after 30 s, with "timeout").
STARTED = """
const done = arguments[arguments.length - 1];
const deadline = Date.now() + 30000;
(function wait() {
  const root = document.querySelector('[data-widget="xor-playground"]');
  const output = root && root.querySelector('[data-widget-output]');
  if (output && output.textContent.startsWith('step ')) return done('ok');
  if (Date.now() > deadline) return done('timeout');
  setTimeout(wait, 50);
})();
"""
NEXT_FRAME = "return new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))"


@pytest.mark.book
def test_the_page_exports_the_book_runs_start(built_book):
    doc = BeautifulSoup(built_book.page_path(PAGE).read_text(encoding="utf-8"), "html.parser")
    roots = doc.select(f'[data-widget="{KIND}"]')
    assert len(roots) == 1
    widget = json.loads(roots[0].select_one("script.nnbook-widget-data").string)
    exported = decode_payload(widget["data"])
    expected = xor_playground_payload(xor_config(XOR_BOOK_LR))
    for name in ("X", "y", "orders"):
        np.testing.assert_array_equal(exported[name], expected[name])
    for size, weights in expected["weights"].items():
        for name, values in weights.items():
            np.testing.assert_array_equal(exported["weights"][size][name], values)
    for name in ("lr", "weight_decay", "batch_size", "betas", "eps", "seed", "hidden"):
        assert exported[name] == expected[name], name
    # the site ships the script the unit tests ran in Node
    shipped = built_book.html / "_static" / "widgets" / "xor_playground.js"
    assert shipped.is_file()


def open_playground(browser, fragment: str = ""):
    browser.get(f"{PAGE}.html{fragment}")
    assert browser.run_async(STARTED) == "ok"
    return browser.driver.find_element("css selector", f'[data-widget="{KIND}"]')


def output_of(root) -> str:
    return root.find_element("css selector", "[data-widget-output]").text


def settle(browser) -> None:
    browser.run(NEXT_FRAME)


@pytest.mark.book
@pytest.mark.browser
def test_the_playground_trains_and_takes_points(browser):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    root = open_playground(browser)
    start = output_of(root)
    assert start.startswith("step 0, epoch 0: mean training loss "), start
    units = "return arguments[0].querySelectorAll('.xor-units canvas').length"
    assert browser.run(units, root) == 4

    step = root.find_element("xpath", ".//button[normalize-space()='Step']")
    step.click()
    settle(browser)
    assert output_of(root).startswith("step 1, epoch 0: mean training loss "), output_of(root)
    assert output_of(root) != start

    hidden = root.find_element("css selector", "input[type=range][id$='-hidden']")
    hidden.send_keys(Keys.ARROW_LEFT)  # the keyboard moves the slider: three units
    settle(browser)
    assert browser.run(units, root) == 3
    assert output_of(root).startswith("step 0, "), output_of(root)  # a new start
    assert "hidden=3" in browser.run("return location.hash")
    assert hidden.get_attribute("aria-valuetext") == "3 hidden units"

    plane = root.find_element("css selector", "canvas.xor-plane")
    ActionChains(browser.driver).move_to_element_with_offset(plane, 40, -40).click().perform()
    settle(browser)
    assert output_of(root).endswith("1 added point(s)"), output_of(root)
    plane.send_keys(Keys.ARROW_RIGHT, Keys.ENTER)  # and with the keyboard
    settle(browser)
    assert output_of(root).endswith("2 added point(s)"), output_of(root)

    run = root.find_element("xpath", ".//button[normalize-space()='Run']")
    run.click()
    browser.run("return new Promise(r => setTimeout(r, 500))")
    assert run.get_attribute("aria-pressed") == "true"
    run.click()
    running = output_of(root)
    assert int(running.split()[1].rstrip(",")) > 20, running  # several epochs of 21 steps
    assert not browser.console_errors()
    assert not browser.foreign_requests()


@pytest.mark.book
@pytest.mark.browser
def test_the_url_hash_sets_up_the_playground(browser):
    root = open_playground(browser, "#xor:hidden=2&lr=0.5&seed=0")
    values = ("return [...arguments[0].querySelectorAll('.xor-value')]"
              ".map(o => o.textContent)")
    assert browser.run(values, root) == ["2", "0.5"]
    # the exercise's link sets the playground up on the same page
    link = browser.driver.find_element("css selector", "a[href^='#xor:hidden=2']:not(.xor-link)")
    browser.run("location.hash = '#xor:hidden=5'")
    settle(browser)
    assert browser.run(values, root)[0] == "5"
    link.click()
    settle(browser)
    assert browser.run(values, root) == ["2", "0.05"]
    assert not browser.console_errors()


@pytest.mark.book
@pytest.mark.browser
def test_the_playground_follows_dark_mode(browser):
    root = open_playground(browser)
    corner = ("const c = arguments[0].querySelector('canvas.xor-plane');"
              "return Array.from(c.getContext('2d').getImageData(0, 0, 1, 1).data);")
    light = browser.run(corner, root)
    browser.run("document.documentElement.dataset.theme = 'dark';")
    settle(browser)
    dark = browser.run(corner, root)
    browser.run("document.documentElement.dataset.theme = 'light';")
    assert sum(dark[:3]) > sum(light[:3]), (light, dark)  # a lighter frame on a dark page
    assert not browser.console_errors()


def slider_figures(book) -> dict[str, dict]:
    """Every plotly figure with a slider on the site, by page and figure id."""
    found = {}
    for page in book.pages:
        doc = BeautifulSoup(book.page_path(page).read_text(encoding="utf-8"), "html.parser")
        for node in doc.select("script.nnbook-plotly-data"):
            fig = json.loads(node.string)
            if fig["layout"].get("sliders"):
                found[f"{page}#{node['data-target']}"] = fig
    return found


@pytest.mark.book
def test_every_replay_slider_has_its_frames(built_book):
    # A replay's slider animates to frames (nnbook.plotting.snapshot_slider): a page rendered
    # without them has a slider that moves while the figure stays still.
    figures = slider_figures(built_book)
    assert any(key.startswith(PAGE) for key in figures), "the replay is missing"
    for key, fig in figures.items():
        names = {frame["name"] for frame in fig.get("frames", [])}
        for step in fig["layout"]["sliders"][0]["steps"]:
            if step["method"] == "animate":
                assert set(step["args"][0]) <= names, (key, step["label"])


@pytest.mark.book
@pytest.mark.browser
def test_the_replay_goes_back_to_any_epoch(browser):
    browser.get(f"{PAGE}.html")
    state = """
        const done = arguments[arguments.length - 1];
        const deadline = Date.now() + 30000;
        (function wait() {
          const div = [...document.querySelectorAll('.nnbook-plotly')]
            .find(d => d.layout && d.layout.sliders && d.layout.sliders.length && d.calcdata);
          if (!div) return Date.now() > deadline ? done(null) : setTimeout(wait, 100);
          const look = () => ({title: div.layout.title.text,
                               z: Array.from(div.calcdata[0][0].z.flat().slice(0, 50))});
          const last = look();
          Plotly.animate(div, ['0'], {mode: 'immediate', frame: {duration: 0, redraw: true},
                                      transition: {duration: 0}})
            .then(() => done({last: last, first: look()}));
        })();"""
    seen = browser.run_async(state)
    assert "epoch 200" in seen["last"]["title"], seen["last"]["title"]
    assert seen["first"]["title"].endswith("before training"), seen["first"]["title"]
    assert seen["first"]["z"] != seen["last"]["z"]
    assert not browser.console_errors()
