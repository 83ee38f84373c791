"""Diagrams against the models they draw: nodes and edges counted in the rendered SVG."""

import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nnbook.diagrams import network_diagram, neuron_diagram, number_label
from nnbook.neurons import NAND


def svg_parts(dot) -> tuple[list[str], list[str], str]:
    """The titles of the drawn nodes and edges of a diagram's SVG, and the SVG itself.

    Graphviz writes each node and edge as <g class="node"> or <g class="edge"> with a <title>
    holding its name ("a" for a node, "a&#45;&gt;b" for an edge); invisible ones are not drawn.
    """
    svg = dot.pipe(format="svg", encoding="utf-8")
    groups = re.findall(r'<g id="[^"]+" class="(node|edge)">\s*<title>([^<]*)</title>', svg)
    nodes = [title for kind, title in groups if kind == "node"]
    edges = [title.replace("&#45;&gt;", "->") for kind, title in groups if kind == "edge"]
    return nodes, edges, svg


class FunctionalNet(nn.Module):
    """A module whose activations are functions in forward, not modules."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(5, 3)
        self.out = nn.Linear(3, 2)

    def forward(self, x):
        return self.out(F.relu(self.hidden(x.flatten(1))))


MODELS = {
    "xor": lambda: nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 2)).double(),
    "three layers": lambda: nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 3),
                                          nn.Sigmoid(), nn.Linear(3, 1), nn.Sigmoid()),
    "functional": FunctionalNet,
    "no bias": lambda: nn.Sequential(nn.Linear(2, 3, bias=False), nn.Tanh(), nn.Linear(3, 1)),
}


@pytest.mark.parametrize("name", MODELS)
def test_network_diagram_has_a_node_per_unit_and_an_edge_per_weight(name):
    model = MODELS[name]()
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    nodes, edges, svg = svg_parts(network_diagram(model, title=name))
    units = [n for n in nodes if re.fullmatch(r"l\d+_\d+", n)]
    sizes = [linears[0].in_features] + [m.out_features for m in linears]
    assert len(units) == sum(sizes)
    assert len(edges) == sum(m.weight.numel() for m in linears)
    assert len([n for n in nodes if n.startswith("label")]) == len(linears) + 1
    total = sum(p.numel() for p in model.parameters())
    assert f"{name}: {total:,} parameters" in svg
    for m in linears:  # each column's label gives its layer's own count
        assert f"= {sum(p.numel() for p in m.parameters()):,} parameters" in svg


def test_every_unit_is_connected_to_every_unit_of_the_next_layer():
    nodes, edges, _ = svg_parts(network_diagram(MODELS["xor"](), title="xor"))
    expected = {f"l0_{i}->l1_{j}" for i in range(2) for j in range(4)}
    expected |= {f"l1_{i}->l2_{j}" for i in range(4) for j in range(2)}
    assert set(edges) == expected


def test_wide_layers_are_cut_with_an_ellipsis():
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    nodes, edges, svg = svg_parts(network_diagram(model, title="wide", max_units=6))
    units = [n for n in nodes if re.fullmatch(r"l\d+_\d+", n)]
    assert len(units) == 3 * 6  # five units, an ellipsis, the last unit, in every column
    assert [n for n in nodes if n.endswith("_more")] == ["l0_more", "l1_more", "l2_more"]
    assert len(edges) == 2 * 6 * 6
    assert "l0_783" in units and "x784" in svg
    assert "101,770 parameters" in svg


def test_labels_name_the_matrices_with_the_models_shapes():
    _, _, svg = svg_parts(network_diagram(MODELS["three layers"](), title="t",
                                          matrix_names=("W", "U", "V")))
    # PyTorch stores Linear(n_in, n_out).weight as (n_out, n_in).
    for text in ("W: 4 × 3 weights + 4 biases", "U: 3 × 4 weights + 3 biases",
                 "V: 1 × 3 weights + 1 bias"):
        assert text in svg
    with pytest.raises(ValueError, match="3 matrix names"):
        network_diagram(MODELS["three layers"](), title="t", matrix_names=("W", "U"))


def test_the_lectures_shapes_do_not_chain():
    # W in R^{4,3}, U in R^{5,3}, V in R^{4,1}, read as PyTorch weights (n_out, n_in).
    lecture = nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(3, 5), nn.Sigmoid(),
                            nn.Linear(1, 4), nn.Sigmoid())
    with pytest.raises(ValueError, match="layer 2 takes 3 inputs, but layer 0 .* gives 4"):
        network_diagram(lecture, title="lecture")


def test_only_fully_connected_networks_are_drawn():
    with pytest.raises(ValueError, match="not a Linear layer"):
        network_diagram(nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 1)),
                        title="cnn")


def test_neuron_diagram_draws_inputs_weights_sum_activation_output():
    nodes, edges, svg = svg_parts(neuron_diagram(NAND.as_module(), title="NAND"))
    assert sorted(nodes) == sorted(["in0", "in1", "sum", "act0", "out"])
    assert sorted(edges) == sorted(["in0->sum", "in1->sum", "sum->act0", "act0->out"])
    assert svg.count("w = −2") == 2 and "b = 3" in svg and ">step<" in svg


def test_neuron_diagram_reads_the_weights_of_a_linear_layer():
    layer = nn.Linear(3, 1)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[0.5, -1.25, 2.0]]))
        layer.bias.fill_(-0.004)
    nodes, edges, svg = svg_parts(neuron_diagram(layer, title="linear"))
    assert len(nodes) == 3 + 2 and len(edges) == 3 + 1  # no activation node
    for text in ("w = 0.5", "w = −1.25", "w = 2", "b = 0"):
        assert text in svg
    with pytest.raises(ValueError, match="single output"):
        neuron_diagram(nn.Linear(3, 2), title="two outputs")


def test_numbers_are_written_as_people_write_them():
    assert [number_label(x) for x in (-2.0, 0.5, 3, 1e-5, -1e-5, 0.127, 12.0)] == \
        ["−2", "0.5", "3", "0", "0", "0.13", "12"]


def test_diagrams_show_as_self_contained_svg():
    dot = network_diagram(MODELS["xor"](), title="xor")
    bundle = dot._repr_mimebundle_()  # what a notebook (and myst-nb) receives
    svg = bundle["image/svg+xml"]
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<image" not in svg and 'href="http' not in svg  # nothing to fetch from elsewhere
    assert "<title>xor: 22 parameters</title>" in svg  # the accessible name
