// Draw a digit: the mnist_mynet page's MyNet, with the trained run's weights (exported at build
// time by nnbook.book.kernel.widgets.digit_pad_bundle), reads what the reader draws. The drawing is
// preprocessed as MNIST's digits were (nnbook.images.mnist_like does the same in Python).
(function () {
  "use strict";

  var NNLib = typeof module !== "undefined" ? require("./nnlib.js") : window.NNLib;
  var SIZE = 28, BOX = 20;

  function roundHalfUp(x) { return Math.floor(x + 0.5); }

  // (nOut, nIn) row-major: the share of each input cell in each output cell's mean (box filter).
  function areaWeights(nIn, nOut) {
    var span = nIn / nOut, weights = new Float64Array(nOut * nIn);
    for (var i = 0; i < nOut; i++) {
      var start = i * span, stop = (i + 1) * span;
      for (var k = Math.floor(start); k < Math.min(nIn, Math.ceil(stop)); k++) {
        var overlap = Math.min(stop, k + 1) - Math.max(start, k);
        if (overlap > 0) weights[i * nIn + k] = overlap / span;
      }
    }
    return weights;
  }

  // A drawing (h, w), row-major ink in [0, 1], as a 28 x 28 MNIST digit (784 numbers): the
  // bounding box scaled into 20 x 20 keeping its aspect ratio, then shifted by whole pixels so
  // that the centre of mass sits at the centre of the field.
  function mnistLike(drawing, h, w) {
    var out = new Float64Array(SIZE * SIZE);
    var r0 = h, r1 = -1, c0 = w, c1 = -1, r, c;
    for (r = 0; r < h; r++) {
      for (c = 0; c < w; c++) {
        if (drawing[r * w + c] > 0) {
          r0 = Math.min(r0, r); r1 = Math.max(r1, r); c0 = Math.min(c0, c); c1 = Math.max(c1, c);
        }
      }
    }
    if (r1 < 0) return out;
    var bh = r1 - r0 + 1, bw = c1 - c0 + 1, scale = BOX / Math.max(bh, bw);
    var oh = Math.max(1, roundHalfUp(bh * scale)), ow = Math.max(1, roundHalfUp(bw * scale));
    var rowW = areaWeights(bh, oh), colW = areaWeights(bw, ow);
    // small = rowW @ box @ colW^T, in the same order as NumPy: first box @ colW^T, then rowW @ it
    var wide = new Float64Array(bh * ow), small = new Float64Array(oh * ow), i, j, k, sum;
    for (r = 0; r < bh; r++) {
      for (j = 0; j < ow; j++) {
        sum = 0;
        for (k = 0; k < bw; k++) sum += drawing[(r0 + r) * w + c0 + k] * colW[j * bw + k];
        wide[r * ow + j] = sum;
      }
    }
    for (i = 0; i < oh; i++) {
      for (j = 0; j < ow; j++) {
        sum = 0;
        for (k = 0; k < bh; k++) sum += rowW[i * bh + k] * wide[k * ow + j];
        small[i * ow + j] = sum;
      }
    }
    var mass = 0, my = 0, mx = 0;
    for (i = 0; i < oh; i++) {
      for (j = 0; j < ow; j++) {
        mass += small[i * ow + j]; my += i * small[i * ow + j]; mx += j * small[i * ow + j];
      }
    }
    var centre = (SIZE - 1) / 2;
    var top = roundHalfUp(centre - my / mass), left = roundHalfUp(centre - mx / mass);
    for (i = 0; i < oh; i++) {
      for (j = 0; j < ow; j++) {
        var y = top + i, x = left + j;  // what falls outside the field is lost
        if (y >= 0 && y < SIZE && x >= 0 && x < SIZE) {
          out[y * SIZE + x] = Math.min(1, Math.max(0, small[i * ow + j]));
        }
      }
    }
    return out;
  }

  // MyNet's forward pass (nnbook.models.MyNet) on one 28 x 28 image of values in [0, 1].
  function myNetLogits(weights, image) {
    var x = NNLib.tensor([1, SIZE, SIZE], Float64Array.from(image));
    x = NNLib.maxPool2d(NNLib.relu(NNLib.conv2d(x, weights["conv1.weight"],
                                                 weights["conv1.bias"], 1, 1)), 2);
    x = NNLib.maxPool2d(NNLib.relu(NNLib.conv2d(x, weights["conv2.weight"],
                                                 weights["conv2.bias"], 1, 0)), 2);
    return Array.from(NNLib.linear(x, weights["fc1.weight"], weights["fc1.bias"]).data);
  }

  // Ink of a round brush of radius r at (x, y) on an (n, n) grid, soft over its last unit.
  function paintDisc(grid, n, x, y, r) {
    var i1 = Math.min(n - 1, Math.ceil(y + r)), j1 = Math.min(n - 1, Math.ceil(x + r));
    for (var i = Math.max(0, Math.floor(y - r - 1)); i <= i1; i++) {
      for (var j = Math.max(0, Math.floor(x - r - 1)); j <= j1; j++) {
        var d = Math.hypot(i + 0.5 - y, j + 0.5 - x);
        var ink = Math.min(1, Math.max(0, r + 0.5 - d));
        if (ink > grid[i * n + j]) grid[i * n + j] = ink;
      }
    }
  }

  // A brush stroke from (x0, y0) to (x1, y1): discs every half unit along it.
  function paintLine(grid, n, x0, y0, x1, y1, r) {
    var steps = Math.max(1, Math.ceil(2 * Math.hypot(x1 - x0, y1 - y0)));
    for (var s = 0; s <= steps; s++) {
      paintDisc(grid, n, x0 + (x1 - x0) * s / steps, y0 + (y1 - y0) * s / steps, r);
    }
  }

  // --- the widget ------------------------------------------------------------------------------

  function percent(p) { return (100 * p).toFixed(1) + "%"; }

  function buildBars(classes) {
    var list = NNLib.el("div", { "class": "nnbook-widget-bars", role: "list",
                                 "aria-label": "MyNet's probability for each digit" });
    var rows = classes.map(function (name) {
      var bar = NNLib.el("div", { "class": "nnbook-widget-bar", style: "width:0%" });
      var value = NNLib.el("span", { text: "0.0%" });
      var row = NNLib.el("div", { role: "listitem", style: "display:contents" }, [
        NNLib.el("span", { text: String(name) }),
        NNLib.el("div", { "class": "nnbook-widget-bartrack", "aria-hidden": "true" }, [bar]),
        value]);
      list.appendChild(row);
      return { bar: bar, value: value };
    });
    return { element: list, rows: rows };
  }

  function init(root, data) {
    var n = data.pad, brush = data.brush, cell = n / SIZE;
    var drawing = new Float64Array(n * n);
    var shown = null;  // a test image shown as it is (it is an MNIST digit already), or null
    var cursor = { x: SIZE / 2, y: SIZE / 2, down: false };
    var last = null, pending = false, example = -1;
    var examples = data.examples, nExamples = examples.labels.shape[0];

    var help = NNLib.el("p", { "class": "nnbook-widget-caption", id: root.id + "-help",
      text: "Draw with a mouse, pen or finger. With the keyboard: arrow keys move the pen, " +
            "space puts it down or lifts it, Delete clears the pad." });
    var pad = NNLib.el("canvas", { tabindex: "0", role: "application",
      "aria-label": "Drawing pad, 28 by 28 pixels", "aria-describedby": help.id,
      style: "width:224px;height:224px;cursor:crosshair" });
    var seen = NNLib.el("canvas", { role: "img", style: "width:112px;height:112px",
      "aria-label": "The 28 by 28 input as MyNet sees it" });
    var output = NNLib.el("p", { "data-widget-output": "", "aria-live": "polite",
                                 text: "Draw a digit." });
    var status = NNLib.el("p", { "class": "nnbook-widget-caption", "aria-live": "polite" });
    var bars = buildBars(data.classes);
    var clear = NNLib.el("button", { type: "button", text: "Clear" });
    var next = NNLib.el("button", { type: "button", text: "Load a test image" });
    var wrong = NNLib.el("button", { type: "button", text: "Load one MyNet gets wrong" });
    // Two columns, which fit the text column: the pad and its controls; what MyNet makes of it.
    root.appendChild(NNLib.el("div", { "class": "nnbook-widget-row" }, [
      NNLib.el("div", { "class": "nnbook-widget-panel", style: "max-width:16rem" }, [
        pad, NNLib.el("div", {}, [clear, next, wrong]), help]),
      NNLib.el("div", { "class": "nnbook-widget-panel" }, [
        NNLib.el("span", { "class": "nnbook-widget-caption", text: "What MyNet sees" }), seen,
        status, output, bars.element])]));

    function input() {
      return shown !== null ? shown : mnistLike(drawing, n, n);
    }

    function drawPad() {
      NNLib.drawGrey(pad, drawing, n, n);
      if (document.activeElement !== pad) return;
      var context = pad.getContext("2d");  // the keyboard's pen: a square one pixel of 28 wide
      context.strokeStyle = cursor.down ? "#d62728" : "#1f77b4";
      context.lineWidth = 1;
      context.strokeRect(Math.floor(cursor.x) * cell + 0.5, Math.floor(cursor.y) * cell + 0.5,
                         cell - 1, cell - 1);
    }

    function classify() {
      pending = false;
      var image = input();
      NNLib.drawGrey(seen, image, SIZE, SIZE, true);
      drawPad();
      var blank = !image.some(function (v) { return v > 0; });
      if (blank) {
        output.textContent = "Draw a digit.";
        root.dataset.prediction = "";
        bars.rows.forEach(function (row) {
          row.bar.style.width = "0%";
          row.value.textContent = "";
        });
        return;
      }
      var p = NNLib.softmax(myNetLogits(data.weights, image));
      var top = NNLib.argmax(p);
      output.textContent = "MyNet reads " + data.classes[top] + " (probability " +
        percent(p[top]) + ")";
      root.dataset.prediction = String(top);
      bars.rows.forEach(function (row, k) {
        row.bar.style.width = (100 * p[k]).toFixed(1) + "%";
        row.bar.classList.toggle("is-top", k === top);
        row.value.textContent = percent(p[k]);
      });
    }

    function update() {  // at most once a frame while drawing
      if (pending) return;
      pending = true;
      window.requestAnimationFrame(classify);
    }

    function startDrawing() {
      if (shown !== null) {  // drawing over a test image: the image becomes part of the drawing
        for (var i = 0; i < n * n; i++) {
          drawing[i] = shown[Math.floor(Math.floor(i / n) / cell) * SIZE +
                             Math.floor((i % n) / cell)];
        }
        shown = null;
        status.textContent = "";
      }
    }

    function padPoint(event) {
      var rect = pad.getBoundingClientRect();
      return { x: (event.clientX - rect.left) / rect.width * n,
               y: (event.clientY - rect.top) / rect.height * n };
    }

    pad.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      pad.setPointerCapture(event.pointerId);
      startDrawing();
      last = padPoint(event);
      paintDisc(drawing, n, last.x, last.y, brush);
      update();
    });
    pad.addEventListener("pointermove", function (event) {
      if (last === null) return;
      var point = padPoint(event);
      paintLine(drawing, n, last.x, last.y, point.x, point.y, brush);
      last = point;
      update();
    });
    ["pointerup", "pointercancel"].forEach(function (name) {
      pad.addEventListener(name, function () { last = null; });
    });

    var MOVES = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    pad.addEventListener("keydown", function (event) {
      var move = MOVES[event.key];
      var from = { x: (cursor.x + 0.5) * cell, y: (cursor.y + 0.5) * cell };
      if (move) {
        cursor.x = Math.min(SIZE - 1, Math.max(0, cursor.x + move[0]));
        cursor.y = Math.min(SIZE - 1, Math.max(0, cursor.y + move[1]));
        if (cursor.down) {
          paintLine(drawing, n, from.x, from.y, (cursor.x + 0.5) * cell, (cursor.y + 0.5) * cell,
                    brush);
        }
      } else if (event.key === " " || event.key === "Enter") {
        cursor.down = !cursor.down;
        startDrawing();
        if (cursor.down) paintDisc(drawing, n, from.x, from.y, brush);
        status.textContent = cursor.down ? "Pen down" : "Pen up";
      } else if (event.key === "Delete" || event.key === "Backspace") {
        reset();
      } else {
        return;
      }
      event.preventDefault();
      update();
    });
    pad.addEventListener("focus", drawPad);
    pad.addEventListener("blur", drawPad);

    function reset() {
      drawing.fill(0);
      shown = null;
      cursor.down = false;
      status.textContent = "";
      update();
    }

    function load(index) {
      example = index;
      shown = Float64Array.from(examples.images.data.subarray(index * SIZE * SIZE,
        (index + 1) * SIZE * SIZE), function (v) { return v / 255; });
      drawing.fill(0);
      status.textContent = "Test image " + (index + 1) + " of " + nExamples + ", labelled " +
        data.classes[examples.labels.data[index]] + ".";
      update();
    }

    // The next test image after the one shown, optionally only among those MyNet misreads.
    function nextExample(misread) {
      for (var step = 1; step <= nExamples; step++) {
        var k = (example + step) % nExamples;
        if (!misread || examples.predictions.data[k] !== examples.labels.data[k]) return k;
      }
      return (example + 1) % nExamples;
    }

    clear.addEventListener("click", reset);
    next.addEventListener("click", function () { load(nextExample(false)); });
    wrong.addEventListener("click", function () { load(nextExample(true)); });
    NNLib.followTheme(function () { classify(); });
  }

  var DigitPad = { mnistLike: mnistLike, areaWeights: areaWeights, myNetLogits: myNetLogits,
                   paintDisc: paintDisc, paintLine: paintLine, init: init };
  if (typeof module !== "undefined" && module.exports) module.exports = DigitPad;
  else NNLib.register("digit-pad", init);
})();
