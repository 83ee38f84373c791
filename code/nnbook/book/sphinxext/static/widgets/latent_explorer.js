// Latent explorer: the autoencoders page's decoder with a two-number code (the trained run's
// weights, exported at build time by nnbook.book.kernel.widgets.latent_explorer_bundle). Moving over the
// plane of test codes decodes the code under the pointer; two chosen points show the straight
// walk between them.
(function () {
  "use strict";

  var NNLib = typeof module !== "undefined" ? require("./nnlib.js") : window.NNLib;
  var STEPS = 8;  // images in the walk from A to B, both ends included

  // ConvAutoencoder's decoder (nnbook.autoencoders) on one code: 784 pixels in [0, 1].
  function decode(weights, code) {
    var z = NNLib.tensor([code.length], Float64Array.from(code));
    var x = NNLib.relu(NNLib.linear(z, weights.linear.weight, weights.linear.bias));
    x = NNLib.reshape(x, weights.unflatten);
    x = NNLib.relu(NNLib.convTranspose2d(x, weights.up1.weight, weights.up1.bias, 2, 1, 1));
    x = NNLib.convTranspose2d(x, weights.up2.weight, weights.up2.bias, 2, 1, 1);
    return Array.from(NNLib.sigmoid(x).data);
  }

  // STEPS codes evenly spaced from a to b, ends exact: (1 - t) a + t b.
  function walk(a, b) {
    var codes = [];
    for (var s = 0; s < STEPS; s++) {
      var t = s / (STEPS - 1);
      codes.push([(1 - t) * a[0] + t * b[0], (1 - t) * a[1] + t * b[1]]);
    }
    return codes;
  }

  function fmt(v) { return (v < 0 ? "\u2212" : "") + Math.abs(v).toFixed(2); }

  function codeText(z) { return "(" + fmt(z[0]) + ", " + fmt(z[1]) + ")"; }

  // --- the widget ------------------------------------------------------------------------------

  function init(root, data) {
    var weights = data.decoder, bounds = data.bounds;  // [z1 min, z1 max, z2 min, z2 max]
    var codes = data.codes, labels = data.labels, nCodes = labels.shape[0];
    var size = 320;
    var current = [(bounds[0] + bounds[1]) / 2, (bounds[2] + bounds[3]) / 2];
    var pins = [];
    var scale = window.devicePixelRatio || 1;

    var help = NNLib.el("p", { "class": "nnbook-widget-caption", id: root.id + "-help",
      text: "Move over the plane to decode the code under the pointer; click two points to " +
            "walk between them. With the keyboard: arrow keys move the code, Enter chooses it, " +
            "Escape forgets the chosen points." });
    var plane = NNLib.el("canvas", { tabindex: "0", role: "application",
      "aria-label": "The plane of two-number codes, with the test images' codes as dots",
      "aria-describedby": help.id,
      style: "width:" + size + "px;height:" + size + "px;cursor:crosshair" });
    plane.width = plane.height = Math.round(size * scale);
    var image = NNLib.el("canvas", { role: "img", style: "width:168px;height:168px",
                                     "aria-label": "The image decoded from the code" });
    var output = NNLib.el("p", { "data-widget-output": "", "aria-live": "polite" });
    var walkLabel = NNLib.el("p", { "class": "nnbook-widget-caption",
                                    text: "Click two points to see the walk between them." });
    var strip = NNLib.el("div", { role: "img", "aria-label": "No walk chosen yet",
                                  style: "display:flex;gap:4px;flex-wrap:wrap" });
    var walkCanvases = [];
    for (var s = 0; s < STEPS; s++) {
      var c = NNLib.el("canvas", { style: "width:56px;height:56px" });
      walkCanvases.push(c);
      strip.appendChild(c);
    }
    var legend = NNLib.el("ul", { "class": "nnbook-widget-caption", "aria-label": "Classes",
      style: "list-style:none;padding:0;margin:0;columns:2" },
      data.classes.map(function (name, k) {
        return NNLib.el("li", {}, [NNLib.el("span", { "aria-hidden": "true",
          style: "color:" + data.colours[k % data.colours.length], text: "\u25cf " }), name]);
      }));
    root.appendChild(NNLib.el("div", { "class": "nnbook-widget-row" }, [
      NNLib.el("div", { "class": "nnbook-widget-panel" }, [plane, help]),
      NNLib.el("div", { "class": "nnbook-widget-panel" }, [
        NNLib.el("span", { "class": "nnbook-widget-caption", text: "Decoded image" }), image,
        output, legend]),
    ]));
    root.appendChild(NNLib.el("div", { "class": "nnbook-widget-panel", style: "max-width:none" },
                              [walkLabel, strip]));

    function toPixel(z) {
      return [(z[0] - bounds[0]) / (bounds[1] - bounds[0]) * plane.width,
              (bounds[3] - z[1]) / (bounds[3] - bounds[2]) * plane.height];
    }

    function toCode(px, py) {
      return [bounds[0] + px / plane.width * (bounds[1] - bounds[0]),
              bounds[3] - py / plane.height * (bounds[3] - bounds[2])];
    }

    function drawPlane() {
      var context = plane.getContext("2d");
      var colours = NNLib.palette();
      context.fillStyle = "rgb(" + colours.paper.join(",") + ")";
      context.fillRect(0, 0, plane.width, plane.height);
      context.globalAlpha = 0.6;
      for (var i = 0; i < nCodes; i++) {
        var p = toPixel([codes.data[2 * i], codes.data[2 * i + 1]]);
        context.fillStyle = data.colours[labels.data[i] % data.colours.length];
        context.fillRect(p[0] - scale, p[1] - scale, 2 * scale, 2 * scale);
      }
      context.globalAlpha = 1;
      var ink = "rgb(" + colours.ink.join(",") + ")";
      if (pins.length === 2) {
        var a = toPixel(pins[0]), b = toPixel(pins[1]);
        context.strokeStyle = ink;
        context.lineWidth = 2 * scale;
        context.beginPath();
        context.moveTo(a[0], a[1]);
        context.lineTo(b[0], b[1]);
        context.stroke();
      }
      pins.forEach(function (pin, k) {
        var q = toPixel(pin);
        context.fillStyle = ink;
        context.font = (14 * scale) + "px sans-serif";
        context.fillText(k === 0 ? "A" : "B", q[0] + 5 * scale, q[1] - 5 * scale);
        context.beginPath();
        context.arc(q[0], q[1], 4 * scale, 0, 2 * Math.PI);
        context.fill();
      });
      var m = toPixel(current);  // the code being decoded: a cross
      context.strokeStyle = ink;
      context.lineWidth = 1.5 * scale;
      context.beginPath();
      context.moveTo(m[0] - 8 * scale, m[1]);
      context.lineTo(m[0] + 8 * scale, m[1]);
      context.moveTo(m[0], m[1] - 8 * scale);
      context.lineTo(m[0], m[1] + 8 * scale);
      context.stroke();
      if (document.activeElement === plane) {
        context.strokeStyle = "#1f77b4";
        context.strokeRect(scale, scale, plane.width - 2 * scale, plane.height - 2 * scale);
      }
    }

    function show() {
      NNLib.drawGrey(image, decode(weights, current), 28, 28, true);
      output.textContent = "Decoding the code " + codeText(current);
      root.dataset.code = current.join(",");
      drawPlane();
    }

    function showWalk() {
      if (pins.length < 2) {
        walkCanvases.forEach(function (canvas) { canvas.width = canvas.height = 0; });
        strip.setAttribute("aria-label", "No walk chosen yet");
        walkLabel.textContent = pins.length === 1 ? "A is " + codeText(pins[0]) +
          "; choose B." : "Click two points to see the walk between them.";
        return;
      }
      walk(pins[0], pins[1]).forEach(function (z, k) {
        NNLib.drawGrey(walkCanvases[k], decode(weights, z), 28, 28, true);
      });
      walkLabel.textContent = "The straight walk from A " + codeText(pins[0]) + " to B " +
        codeText(pins[1]) + ", decoded in " + STEPS + " steps:";
      strip.setAttribute("aria-label", "Images decoded along the line from A to B");
    }

    function choose() {
      pins = pins.length >= 2 ? [current.slice()] : pins.concat([current.slice()]);
      showWalk();
      drawPlane();
    }

    function pointerCode(event) {
      var rect = plane.getBoundingClientRect();
      return toCode((event.clientX - rect.left) / rect.width * plane.width,
                    (event.clientY - rect.top) / rect.height * plane.height);
    }

    plane.addEventListener("pointermove", function (event) {
      current = pointerCode(event);
      show();
    });
    plane.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      current = pointerCode(event);
      show();
      choose();
    });

    var MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] };
    plane.addEventListener("keydown", function (event) {
      var move = MOVES[event.key];
      if (move) {
        var step = event.shiftKey ? 0.1 : 0.02;  // of the plane's width
        var z1 = current[0] + move[0] * step * (bounds[1] - bounds[0]);
        var z2 = current[1] + move[1] * step * (bounds[3] - bounds[2]);
        current = [Math.min(bounds[1], Math.max(bounds[0], z1)),
                   Math.min(bounds[3], Math.max(bounds[2], z2))];
        show();
      } else if (event.key === "Enter" || event.key === " ") {
        choose();
      } else if (event.key === "Escape") {
        pins = [];
        showWalk();
        drawPlane();
      } else {
        return;
      }
      event.preventDefault();
    });
    plane.addEventListener("focus", drawPlane);
    plane.addEventListener("blur", drawPlane);
    showWalk();
    NNLib.followTheme(show);
  }

  var LatentExplorer = { decode: decode, walk: walk, init: init };
  if (typeof module !== "undefined" && module.exports) module.exports = LatentExplorer;
  else NNLib.register("latent-explorer", init);
})();
