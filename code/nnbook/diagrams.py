"""Pictures of a neuron and of a fully connected network, drawn from the PyTorch objects.

Every number in a drawing is read from the model it draws: the inputs and units from the Linear
layers' ``in_features`` and ``out_features``, the weights of a neuron from its weight tensor, the
parameter counts from ``p.numel()`` of the parameters themselves. A picture therefore cannot
disagree with the model beside it, which hand-drawn slides can.

The drawings are ``graphviz.Digraph`` objects. In a notebook they display themselves as SVG, and
the book's build stores that SVG as an image file of the site, so nothing is fetched from another
host. The graph's name becomes the SVG's ``<title>``, the drawing's accessible name.
"""

from __future__ import annotations

from collections.abc import Sequence

import graphviz
import torch

from nnbook.networks import DenseLayer, dense_layers

# How a unit's activation is written inside its circle; other activations by their class name.
SYMBOLS = {"Sigmoid": "σ", "Tanh": "tanh", "ReLU": "ReLU", "Step": "step", "Identity": "Σ"}
SUM = "Σ"  # a unit without an activation: its weighted sum is its output


def number_label(x: float, decimals: int = 2) -> str:
    """A weight as a label: ``decimals`` places at most, no trailing zeros, a true minus sign
    (-2.0 gives "−2", 0.125 gives "0.13"); never exponent notation."""
    text = f"{x:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text.replace("-", "−")


def symbol(layer: DenseLayer) -> str:
    """What a layer's units compute after the weighted sum, as written inside their circles."""
    if not layer.after:
        return SUM
    return SYMBOLS.get(layer.after[0], layer.after[0])


def _graph(title: str) -> graphviz.Digraph:
    dot = graphviz.Digraph(name=title)  # the name is the SVG's <title>
    dot.attr(rankdir="LR", label=title, labelloc="t", fontsize="13", fontname="sans-serif",
             bgcolor="white", splines="line", nodesep="0.12", ranksep="1.0")
    dot.attr("node", fontname="sans-serif", fontsize="11")
    dot.attr("edge", fontname="sans-serif", fontsize="10", arrowsize="0.5", color="#555555")
    return dot


def _names(names: Sequence[str] | None, n: int, default: str) -> list[str]:
    if names is None:
        return [f"{default}{k}" for k in range(1, n + 1)]
    if len(names) != n:
        raise ValueError(f"need {n} names, got {len(names)}")
    return list(names)


def neuron_diagram(neuron: torch.nn.Module, *, title: str,
                   input_names: Sequence[str] | None = None,
                   decimals: int = 2) -> graphviz.Digraph:
    """A neuron: one node per input, its weight on the edge to the sum, the bias in the sum node,
    then each activation the model applies, then the output.

    ``neuron`` is a model with a single ``Linear(n, 1)`` layer: ``nn.Linear(n, 1)`` alone, or
    ``nn.Sequential(nn.Linear(n, 1), nn.Sigmoid())``. It has n + 2 nodes and n + 1 edges, plus
    a node and an edge per activation.
    """
    layers = dense_layers(neuron)
    if len(layers) != 1 or layers[0].n_out != 1:
        raise ValueError("a neuron is one Linear layer with a single output; draw a network "
                         "with network_diagram")
    layer = layers[0]
    weights = layer.linear.weight.detach()[0].tolist()
    bias = 0.0 if layer.linear.bias is None else float(layer.linear.bias.detach()[0])
    dot = _graph(title)
    for k, name in enumerate(_names(input_names, layer.n_in, "x")):
        dot.node(f"in{k}", name, shape="circle", width="0.45", fixedsize="true")
        dot.edge(f"in{k}", "sum", label=f"w = {number_label(weights[k], decimals)}")
    dot.node("sum", f"{SUM}\nb = {number_label(bias, decimals)}", shape="circle",
             width="0.8", fixedsize="true", style="filled", fillcolor="#fde0c5")
    previous, between = "sum", "z = w · x + b"
    for i, step in enumerate(layer.after):
        dot.node(f"act{i}", SYMBOLS.get(step, step), shape="box", style="rounded,filled",
                 fillcolor="#dbe9f6")
        dot.edge(previous, f"act{i}", label=between)
        previous, between = f"act{i}", ""
    dot.node("out", "output", shape="plaintext")
    dot.edge(previous, "out", label=between)
    return dot


def _shown_units(n: int, max_units: int) -> list[int | None]:
    """The units of a layer that get a node, with None where an ellipsis stands for the rest."""
    if n <= max_units:
        return list(range(n))
    return list(range(max_units - 1)) + [None, n - 1]


def _column_label(i: int, layers: list[DenseLayer], matrix: str | None) -> str:
    if i == 0:
        return f"input\n{layers[0].n_in} values"
    layer = layers[i - 1]
    kind = "output" if i == len(layers) else f"hidden layer {i}"
    units = f"{layer.n_out} unit{'s' if layer.n_out != 1 else ''}"
    then = f", {', '.join(layer.after)}" if layer.after else ""
    biases = 0 if layer.linear.bias is None else layer.linear.bias.numel()
    shape = " × ".join(str(d) for d in layer.linear.weight.shape)
    name = f"{matrix}: " if matrix else ""
    plus = f" + {biases} bias{'es' if biases != 1 else ''}" if biases else ""
    return (f"{kind}\n{units}{then}\n{name}{shape} weights{plus}\n"
            f"= {layer.parameters:,} parameters")


COLUMN_GAP, ROW_GAP = 2.3, 0.62  # inches between columns and between units


def network_diagram(model: torch.nn.Module, *, title: str,
                    matrix_names: Sequence[str] | None = None,
                    input_names: Sequence[str] | None = None,
                    max_units: int = 8) -> graphviz.Digraph:
    """A fully connected network, one column of units per layer, every connection drawn.

    The layers, their sizes, activations and parameter counts are read from ``model`` (an
    ``nn.Sequential`` or a traceable ``nn.Module``: see :func:`nnbook.networks.dense_layers`).
    Above each column a label names the weight matrix that feeds it (``matrix_names``, such as
    W, U, V) with its shape and parameter count; the title gets the model's total. A layer wider
    than ``max_units`` shows its first units, an ellipsis and its last unit, and only the drawn
    units' connections. Unit nodes are named ``l<column>_<unit>``, the columns' labels
    ``label<column>``.
    """
    if max_units < 2:
        raise ValueError(f"max_units must be at least 2, not {max_units}")
    layers = dense_layers(model)
    matrices = list(matrix_names) if matrix_names is not None else [None] * len(layers)
    if len(matrices) != len(layers):
        raise ValueError(f"need {len(layers)} matrix names for {len(layers)} layers")
    total = sum(p.numel() for p in model.parameters())
    dot = _graph(f"{title}: {total:,} parameters")
    # Every node at a fixed place (neato with pos="x,y!"): the columns keep their units in order,
    # which dot's crossing minimisation does not promise for a fully connected graph.
    dot.engine = "neato"
    dot.attr(splines="line", outputorder="edgesfirst")
    sizes = [layers[0].n_in] + [layer.n_out for layer in layers]
    shown = [_shown_units(n, max_units) for n in sizes]
    labels = _names(input_names, sizes[0], "x")
    top = (max(len(units) for units in shown) - 1) * ROW_GAP / 2
    for i, units in enumerate(shown):
        x = i * COLUMN_GAP
        label = _column_label(i, layers, matrices[i - 1] if i else None)
        lines = label.count("\n") + 1
        dot.node(f"label{i}", label, shape="plaintext", fontsize="10",
                 pos=f"{x},{top + 0.35 + 0.08 * lines}!")
        for row, unit in enumerate(units):
            pos = f"{x},{(len(units) - 1) * ROW_GAP / 2 - row * ROW_GAP}!"
            if unit is None:
                dot.node(f"l{i}_more", "⋮", shape="plaintext", pos=pos)
                continue
            text = labels[unit] if i == 0 else symbol(layers[i - 1])
            dot.node(f"l{i}_{unit}", text, shape="circle", width="0.45", fixedsize="true",
                     style="filled", fillcolor="white" if i == 0 else "#dbe9f6", pos=pos)
    for i in range(1, len(shown)):
        for source in (u for u in shown[i - 1] if u is not None):
            for target in (u for u in shown[i] if u is not None):
                dot.edge(f"l{i - 1}_{source}", f"l{i}_{target}", arrowhead="none")
    return dot
