"""Image grids show the images and titles they were given."""

import numpy as np
import pytest
import torch

from nnbook.convolution import KERNELS, apply_filter
from nnbook.images import (filter_panels, image_grid, labelled_samples, misclassified_grid,
                           thumbnail)


def test_image_grid_draws_each_image_with_its_title():
    images = [torch.full((1, 4, 4), float(i)) for i in range(3)]
    fig = image_grid(images, ["a", "b", "c"], ncols=2, suptitle="grid")
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 3 and len(fig.axes) == 4
    assert [ax.get_title() for ax in shown] == ["a", "b", "c"]
    np.testing.assert_array_equal(shown[2].images[0].get_array(), np.full((4, 4), 2.0))
    assert fig._suptitle.get_text() == "grid"


def test_labelled_samples_titles_are_the_labels_of_the_images_shown():
    X = torch.arange(20.0)[:, None, None].expand(20, 3, 3)  # image i is filled with i
    y = torch.arange(20) % 4
    fig = labelled_samples(X, y, ["zero", "one", "two", "three"], n=6, suptitle="s")
    for ax in fig.axes[:6]:
        value = int(ax.images[0].get_array()[0, 0])
        assert ax.get_title() == ["zero", "one", "two", "three"][value % 4]


def test_misclassified_grid_shows_only_mistakes():
    X = torch.arange(10.0)[:, None, None].expand(10, 2, 2)
    y = torch.arange(10) % 2
    y_hat = y.clone()
    y_hat[[3, 7]] = 1 - y_hat[[3, 7]]
    fig = misclassified_grid(X, y, y_hat, ["even", "odd"], suptitle="m")
    shown = sorted(int(ax.images[0].get_array()[0, 0]) for ax in fig.axes if ax.images)
    assert shown == [3, 7]
    assert {ax.get_title() for ax in fig.axes if ax.images} == {"odd\n→ even"}


def test_filter_panels_show_kernel_numbers_and_results():
    image = torch.rand(8, 8)
    results = {name: (k, apply_filter(image, k)) for name, k in KERNELS.items()}
    fig = filter_panels(image, results, suptitle="filters")
    top = fig.axes[:len(KERNELS)]
    assert [ax.get_title() for ax in top] == [f"{n} kernel" for n in KERNELS]
    assert [t.get_text() for t in top[2].texts].count("8") == 1  # the edge kernel's centre


def test_figures_display_as_png_without_pyplot():
    import sys

    fig = image_grid([torch.zeros(3, 3)], ["z"], ncols=1, suptitle="png")
    png, metadata = fig._repr_png_()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 1000 and metadata["alt"]
    assert "matplotlib.pyplot" not in sys.modules or not sys.modules["matplotlib.pyplot"].get_fignums()


def test_value_range_keeps_a_faint_image_faint():
    faint = torch.full((4, 4), 0.1)
    faint[0, 0] = 0.2
    stretched = image_grid([faint], suptitle="s").axes[0].images[0]
    fixed = image_grid([faint], suptitle="f", value_range=(0, 1)).axes[0].images[0]
    assert stretched.get_clim() == pytest.approx((0.1, 0.2))  # its own extremes: full contrast
    assert fixed.get_clim() == (0, 1)  # the common scale: it stays dark


def test_misclassified_grid_says_when_there_is_no_mistake():
    X, y = torch.rand(4, 28, 28), torch.tensor([0, 1, 0, 1])
    with pytest.raises(ValueError, match="no mistake"):
        misclassified_grid(X, y, y.clone(), ["even", "odd"], suptitle="m")


def test_thumbnail_is_a_grey_inverted_input_in_the_unit_range():
    photo = np.zeros((60, 90, 3), dtype=np.uint8)  # black, RGB, 0-255
    photo[:, 45:] = 255  # the right half white
    small = thumbnail(photo, size=28)
    assert small.shape == (1, 1, 28, 28) and small.dtype == torch.float32
    # Inverted: the black half becomes 1, the white half 0; the middle column is blended.
    torch.testing.assert_close(small[0, 0, :, :13], torch.ones(28, 13))
    torch.testing.assert_close(small[0, 0, :, 15:], torch.zeros(28, 13))
    kept = thumbnail(photo / 255, size=28, invert=False)  # 0-1 input reads the same
    torch.testing.assert_close(kept, 1 - small)
    # Grey is the luminance of the colours: pure green is brighter than pure blue.
    green, blue = np.zeros((8, 8, 3)), np.zeros((8, 8, 3))
    green[..., 1], blue[..., 2] = 1.0, 1.0
    assert thumbnail(green, 4, invert=False).mean() > 3 * thumbnail(blue, 4, invert=False).mean()


# --- labels never sit on an image ------------------------------------------------------------


def _text_clearances(fig) -> list[tuple[float, str]]:
    """For every title (and the suptitle) and every image drawn in ``fig``, the white between
    their boxes in pixels, as drawn: the larger of the horizontal and the vertical distance,
    negative when the two boxes overlap."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    renderer = fig.canvas.get_renderer()
    fig.draw(renderer)
    images = [ax.get_window_extent(renderer) for ax in fig.axes if ax.images]
    texts = [ax.title for ax in fig.axes if ax.get_title()] + [fig._suptitle]
    out = []
    for text in texts:
        t = text.get_window_extent(renderer)
        for box in images:
            dx = max(box.x0 - t.x1, t.x0 - box.x1)
            dy = max(box.y0 - t.y1, t.y0 - box.y1)
            out.append((max(dx, dy), text.get_text()))
    return out


def _grids():
    from nnbook.autoencoders_figures import reconstruction_figure

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
    X = torch.rand(40, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    y = torch.arange(40) % 10
    image = torch.rand(20, 30)  # wider than tall, as a photograph
    results = {name: (k, apply_filter(image, k)) for name, k in KERNELS.items()}
    return {
        "misclassified (two-line titles)": misclassified_grid(X, y, (y + 9) % 10, classes,
                                                              suptitle="mistakes"),
        "labelled samples": labelled_samples(X, y, classes, suptitle="samples"),
        "reconstructions": reconstruction_figure(X, X, y, classes, suptitle="rec"),
        "photographs": image_grid([image] * 4, ["a photo"] * 4, ncols=2, suptitle="photos"),
        "filter panels": filter_panels(image, results, suptitle="filters"),
    }


def test_every_label_is_clear_of_every_image_with_a_gap():
    too_close = {}
    for name, fig in _grids().items():
        gap, text = min(_text_clearances(fig))
        if gap < 2:  # pixels at the figure's 100 dpi; the page shows them at 110
            too_close[name] = f"{text!r} is {gap:.1f} px from an image (overlap if negative)"
    assert not too_close, too_close


def test_a_grid_says_what_it_shows_in_its_pngs_metadata():
    from nnbook.images import describe_grid, image_grid

    fig = image_grid([torch.zeros(4, 4)] * 3, ["Coat", "Bag", "Shirt"], ncols=2,
                     suptitle="Three items.")
    data, metadata = fig._repr_png_()
    assert data.startswith(b"\x89PNG")
    assert metadata == {"alt": "Three items: 3 images in 2 rows of 2, titled: Coat; Bag; Shirt."}
    assert describe_grid("Many", 40, 10) == "Many: 40 images in 4 rows of 10."
    long = describe_grid("Many", 20, 10, [f"t{i}" for i in range(20)], titled="with its label")
    assert long == "Many: 20 images in 2 rows of 10, each with its label."  # too many to read out
    assert image_grid([torch.zeros(2, 2)], suptitle="One", alt="Said my way.").alt == "Said my way."


def test_mistakes_say_which_label_was_taken_for_which():
    from nnbook.images import misclassified_grid

    X = torch.zeros(4, 1, 4, 4)
    fig = misclassified_grid(X, torch.tensor([0, 1, 1, 0]), torch.tensor([0, 0, 1, 1]),
                             ["Coat", "Bag"], n=2, ncols=2, suptitle="Wrong")
    assert fig.alt.startswith("Wrong: 2 misclassified images, each titled with its true and "
                              "predicted label: ")
    assert "Bag taken for Coat" in fig.alt and "Coat taken for Bag" in fig.alt


def test_the_site_gives_an_output_image_its_alt_text():
    from types import SimpleNamespace

    from docutils import nodes

    from nnbook.book.sphinxext.image_alt import ImageAltRenderer

    def render_image(data):
        return [nodes.container("", nodes.image(uri="x.png"))]

    renderer = SimpleNamespace(render_image=render_image)
    with_alt = SimpleNamespace(mime_type="image/png", output_metadata={"image/png": {"alt": "A"}})
    (node,) = ImageAltRenderer.handle_mime(renderer, with_alt, False)
    assert next(node.findall(nodes.image))["alt"] == "A"
    without = SimpleNamespace(mime_type="image/png", output_metadata={})
    assert ImageAltRenderer.handle_mime(renderer, without, False) is None  # myst-nb's own
    assert ImageAltRenderer.handle_mime(renderer, with_alt, True) is None
