// The XOR playground of the learning_features page: the page's 2-H-2 network (sigmoid hidden
// units, two output scores, cross-entropy), trained in the page by Adam with L2 weight decay on
// minibatches, as nnbook.engine.fit trains it in float64.
//
// The page exports (widgets.xor_playground_payload) the training points, the initial weights of
// mlp((2, H, 2), seed=0) for H = 1..8, the optimiser's settings and the engine's order of the
// examples for each epoch, so that with the page's data the first steps are the book's run: a
// unit test (tests/unit/book/kernel/test_xor_playground.py) runs this file in Node and compares 200 steps
// with PyTorch's, parameter by parameter. Once the reader adds points or asks for a new seed,
// the order and the initial weights come from a seeded generator of this file instead
// (deterministic, but not PyTorch's).
//
// The network, its training and the URL hash are pure functions that work in Node too
// (module.exports); the operations they share with the other widgets (sigmoid, log-softmax,
// Adam) are nnlib.js's. The rest draws the widget and answers the reader.
(function () {
  "use strict";

  var NNLib = typeof module !== "undefined" ? require("./nnlib.js") : window.NNLib;

  // ---- the network and its training: pure functions ------------------------------------------

  // A 2-H-2 network from weights W1 (H x 2), b1 (H), W2 (2 x H), b2 (2), row-major.
  function makeNet(W1, b1, W2, b2) {
    var H = b1.length;
    if (W1.length !== 2 * H || W2.length !== 2 * H || b2.length !== 2) {
      throw new Error("expected a 2-H-2 network's weights");
    }
    return { H: H, W1: Float64Array.from(W1), b1: Float64Array.from(b1),
             W2: Float64Array.from(W2), b2: Float64Array.from(b2) };
  }

  function cloneNet(net) {
    return makeNet(net.W1, net.b1, net.W2, net.b2);
  }

  // The network's parameters by name, for nnlib's Adam (the same arrays: a step updates net).
  function parameters(net) {
    return { W1: net.W1, b1: net.b1, W2: net.W2, b2: net.b2 };
  }

  // mulberry32: a small seeded generator of uniform numbers in [0, 1).
  function seededRandom(seed) {
    var a = (seed >>> 0) || 0x9e3779b9;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      var t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  // n numbers drawn uniformly within +-bound.
  function uniform(random, n, bound) {
    var values = [];
    for (var i = 0; i < n; i++) values.push((2 * random() - 1) * bound);
    return values;
  }

  // Initial weights as torch.nn.Linear draws them (uniform within 1/sqrt(fan_in)), from this
  // file's generator: for a seed or a size the page did not export.
  function initNet(H, seed) {
    var random = seededRandom(1000003 * (seed + 1) + H);
    var b1Bound = 1 / Math.sqrt(2), b2Bound = 1 / Math.sqrt(H);
    return makeNet(uniform(random, 2 * H, b1Bound), uniform(random, H, b1Bound),
                   uniform(random, 2 * H, b2Bound), uniform(random, 2, b2Bound));
  }

  // The hidden activations (H) and the two scores for the point (x1, x2).
  function forward(net, x1, x2) {
    var h = new Float64Array(net.H);
    for (var j = 0; j < net.H; j++) {
      h[j] = NNLib.sigmoid(x1 * net.W1[2 * j] + x2 * net.W1[2 * j + 1] + net.b1[j]);
    }
    var s = [net.b2[0], net.b2[1]];
    for (var c = 0; c < 2; c++) {
      var sum = 0;
      for (j = 0; j < net.H; j++) sum += h[j] * net.W2[c * net.H + j];
      s[c] = sum + net.b2[c];
    }
    return { h: h, s: s };
  }

  // P(class 1 | x): the probability of a cross.
  function probability(net, x1, x2) {
    return Math.exp(NNLib.logSoftmax(forward(net, x1, x2).s)[1]);
  }

  // The mean cross-entropy over the examples ``idx`` and its gradient for every parameter.
  function lossAndGradient(net, X, y, idx) {
    var H = net.H, B = idx.length;
    var grad = { W1: new Float64Array(2 * H), b1: new Float64Array(H),
                 W2: new Float64Array(2 * H), b2: new Float64Array(2) };
    var total = 0;
    for (var b = 0; b < B; b++) {
      var i = idx[b];
      var x1 = X[2 * i], x2 = X[2 * i + 1];
      var out = forward(net, x1, x2);
      var logp = NNLib.logSoftmax(out.s);
      total -= logp[y[i]];
      // d(loss)/d(score c) = (P(c) - [c = y]) / B, computed as PyTorch's log-softmax backward
      // does: the loss's gradient g (-1/B at the label) minus P(c) times the sum of g
      var g = -1 / B;
      var ds = [(y[i] === 0 ? g : 0) - Math.exp(logp[0]) * g,
                (y[i] === 1 ? g : 0) - Math.exp(logp[1]) * g];
      for (var c = 0; c < 2; c++) {
        grad.b2[c] += ds[c];
        for (var j = 0; j < H; j++) grad.W2[c * H + j] += ds[c] * out.h[j];
      }
      for (j = 0; j < H; j++) {
        var dh = ds[0] * net.W2[j] + ds[1] * net.W2[H + j];
        var dz = dh * (1 - out.h[j]) * out.h[j];  // the sigmoid's derivative
        grad.b1[j] += dz;
        grad.W1[2 * j] += dz * x1;
        grad.W1[2 * j + 1] += dz * x2;
      }
    }
    return { loss: total / B, grad: grad };
  }

  // 0, 1, ..., n - 1.
  function range(n) {
    var values = [];
    for (var i = 0; i < n; i++) values.push(i);
    return values;
  }

  // Fisher-Yates shuffle of 0..n-1 drawn from ``random``.
  function shuffled(n, random) {
    var order = range(n);
    for (var i = n - 1; i > 0; i--) {
      var j = Math.floor(random() * (i + 1));
      var tmp = order[i]; order[i] = order[j]; order[j] = tmp;
    }
    return order;
  }

  // A training run: the network, Adam's state, the data and where it stands in the epoch.
  // ``orders`` (epochs x n, the engine's order) is used while the data are the page's and the
  // seed is the exported one; past its epochs, or on other data, the order is drawn here.
  function makeTrainer(opts) {
    var n = opts.y.length;
    return {
      net: cloneNet(opts.net), adam: null, X: Float64Array.from(opts.X),
      y: Uint8Array.from(opts.y), n: n, lr: opts.lr, weight_decay: opts.weight_decay,
      betas: opts.betas, eps: opts.eps, batchSize: opts.batchSize,
      orders: opts.orders || null, random: seededRandom(7919 * (opts.seed || 0) + n),
      step: 0, epoch: 0, order: null, position: 0, lastLoss: NaN
    };
  }

  function epochOrder(trainer) {
    var orders = trainer.orders;
    if (orders && trainer.epoch < orders.length && orders[trainer.epoch].length === trainer.n) {
      return Array.from(orders[trainer.epoch]);
    }
    return shuffled(trainer.n, trainer.random);
  }

  // One minibatch step, as the engine's train_epoch takes it; returns the batch's loss.
  function trainStep(trainer) {
    if (trainer.adam === null) trainer.adam = NNLib.adamState(parameters(trainer.net));
    if (trainer.order === null || trainer.position >= trainer.n) {
      if (trainer.order !== null) trainer.epoch += 1;
      trainer.order = epochOrder(trainer);
      trainer.position = 0;
    }
    var idx = trainer.order.slice(trainer.position, trainer.position + trainer.batchSize);
    trainer.position += idx.length;
    var result = lossAndGradient(trainer.net, trainer.X, trainer.y, idx);
    NNLib.adamStep(parameters(trainer.net), result.grad, trainer.adam, trainer);
    trainer.step += 1;
    trainer.lastLoss = result.loss;
    return result.loss;
  }

  // The mean cross-entropy over all the training points.
  function meanLoss(trainer) {
    return lossAndGradient(trainer.net, trainer.X, trainer.y, range(trainer.n)).loss;
  }

  // Epochs finished: full passes over the data.
  function epochsDone(trainer) {
    return trainer.order === null ? 0 : trainer.epoch + (trainer.position >= trainer.n ? 1 : 0);
  }

  // ---- the settings in the URL hash: #xor:hidden=4&lr=0.5&seed=0 -----------------------------

  var LIMITS = { hidden: [1, 8] };
  var RATES = [0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 0.5, 1];

  function isWhole(value) {
    return Math.floor(value) === value;
  }

  // The settings a hash asks for, over ``defaults``; what it does not name, or names wrongly,
  // keeps its default.
  function parseHash(hash, defaults) {
    var settings = {};
    Object.keys(defaults).forEach(function (key) { settings[key] = defaults[key]; });
    var match = /^#?xor:(.*)$/.exec(hash || "");
    if (!match) return settings;
    match[1].split("&").forEach(function (part) {
      var pair = part.split("="), key = pair[0], value = Number(pair[1]);
      if (!isFinite(value)) return;
      if (key === "hidden" && isWhole(value) && value >= LIMITS.hidden[0] &&
          value <= LIMITS.hidden[1]) settings.hidden = value;
      if (key === "lr" && value > 0 && value <= 10) settings.lr = value;
      if (key === "seed" && isWhole(value) && value >= 0) settings.seed = value;
    });
    return settings;
  }

  function formatHash(settings) {
    return "#xor:hidden=" + settings.hidden + "&lr=" + settings.lr + "&seed=" + settings.seed;
  }

  // The index of the rate in RATES nearest to ``lr`` on a log scale (the rate slider's position).
  function nearestRate(lr) {
    var best = 0;
    RATES.forEach(function (r, i) {
      if (Math.abs(Math.log(r / lr)) < Math.abs(Math.log(RATES[best] / lr))) best = i;
    });
    return best;
  }

  // ---- drawing on a canvas -------------------------------------------------------------------

  var BOUNDS = [-10, 10];  // the page's surfaces cover this square
  var GRID = 64;  // the surface is computed on GRID x GRID points and smoothed when drawn
  // The page's surfaces' scale (nnbook.plotting.SURFACE_COLOURSCALE), opaque: pale blue for 0,
  // near white at 0.5, pale red for 1, so that the points in full colour stand out on it
  var SCALE = [[188, 214, 235], [247, 247, 247], [247, 203, 191]];
  var CLASS_COLOURS = ["#1f77b4", "#d62728"];
  var CLASS_NAMES = ["circle (y = 0)", "cross (y = 1)"];

  function colour(p) {
    var x = Math.min(1, Math.max(0, p)) * (SCALE.length - 1);
    var i = Math.min(SCALE.length - 2, Math.floor(x)), f = x - i;
    return SCALE[i].map(function (c, k) { return Math.round(c + f * (SCALE[i + 1][k] - c)); });
  }

  function themeColours() {
    return NNLib.isDark()
      ? { text: "#ced6dd", edge: "#14181e", frame: "#8a99ad", alpha: 1 }
      : { text: "#222832", edge: "#ffffff", frame: "#5a6270", alpha: 1 };
  }

  // A GRID x GRID canvas of ``value(x1, x2)`` (in [0, 1]) in the surface's colours.
  function surfaceImage(value, alpha) {
    var grid = document.createElement("canvas");
    grid.width = grid.height = GRID;
    var image = grid.getContext("2d").createImageData(GRID, GRID);
    var step = (BOUNDS[1] - BOUNDS[0]) / (GRID - 1);
    for (var r = 0; r < GRID; r++) {
      var x2 = BOUNDS[1] - r * step;  // the top row is the largest x2
      for (var c = 0; c < GRID; c++) {
        var rgb = colour(value(BOUNDS[0] + c * step, x2));
        var k = 4 * (r * GRID + c);
        image.data[k] = rgb[0]; image.data[k + 1] = rgb[1]; image.data[k + 2] = rgb[2];
        image.data[k + 3] = Math.round(255 * alpha);
      }
    }
    grid.getContext("2d").putImageData(image, 0, 0);
    return grid;
  }

  // The canvas position of the point (x1, x2) on a canvas ``size`` pixels wide.
  function toPixel(x1, x2, size) {
    var scale = size / (BOUNDS[1] - BOUNDS[0]);
    return [(x1 - BOUNDS[0]) * scale, (BOUNDS[1] - x2) * scale];
  }

  function drawMarker(ctx, label, px, py, r, colour, width) {
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.beginPath();
    if (label === 0) {
      ctx.arc(px, py, r, 0, 2 * Math.PI);
    } else {
      ctx.moveTo(px - r, py); ctx.lineTo(px + r, py);
      ctx.moveTo(px, py - r); ctx.lineTo(px, py + r);
    }
    ctx.stroke();
  }

  // Paint ``value(x1, x2)`` (in [0, 1]) over ``canvas``, with the points X, y on top and, if
  // given, the keyboard's cursor as a square.
  function paintSurface(canvas, value, X, y, cursor) {
    var ctx = canvas.getContext("2d");
    var size = canvas.width, theme = themeColours();
    ctx.clearRect(0, 0, size, size);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(surfaceImage(value, theme.alpha), 0, 0, size, size);
    ctx.strokeStyle = theme.frame;
    ctx.lineWidth = 1;
    ctx.strokeRect(0.5, 0.5, size - 1, size - 1);
    var r = Math.max(1.2, size / 110), width = Math.max(1, r / 2);
    for (var i = 0; i < y.length; i++) {
      var p = toPixel(X[2 * i], X[2 * i + 1], size);
      // a thin edge in the page's colour keeps each marker visible on either class's colour
      drawMarker(ctx, y[i], p[0], p[1], r, theme.edge, width + 1.5);
      drawMarker(ctx, y[i], p[0], p[1], r, CLASS_COLOURS[y[i]], width);
    }
    if (cursor) {
      var q = toPixel(cursor[0], cursor[1], size);
      ctx.strokeStyle = theme.text;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(q[0] - 3 * r, q[1] - 3 * r, 6 * r, 6 * r);
    }
  }

  // A square canvas as many device pixels wide as it is shown.
  function fitCanvas(canvas) {
    var ratio = window.devicePixelRatio || 1;
    var size = Math.max(60, Math.round(canvas.clientWidth * ratio)) || 300;
    if (canvas.width !== size || canvas.height !== size) {
      canvas.width = size; canvas.height = size;
    }
  }

  // ---- the widget's elements -----------------------------------------------------------------

  // Rows of a decoded array ({shape, data}) or nested lists, as arrays.
  function rows(array) {
    if (Array.isArray(array)) return array;
    var r = array.shape[0], c = array.shape[1], out = [];
    for (var i = 0; i < r; i++) out.push(array.data.subarray(i * c, (i + 1) * c));
    return out;
  }

  function flat(array) {
    return Array.isArray(array) ? [].concat.apply([], array) : Array.from(array.data);
  }

  function slider(id, label, min, max, value) {
    var input = NNLib.el("input", { type: "range", id: id, min: String(min), max: String(max),
                                    step: "1", value: String(value) });
    var shown = NNLib.el("output", { "for": id, "class": "xor-value" });
    var wrap = NNLib.el("div", { "class": "xor-control" },
                        [NNLib.el("label", { "for": id, text: label }), input, shown]);
    return { input: input, shown: shown, wrap: wrap };
  }

  // The radio buttons that choose the class of a clicked point: a cross at first.
  function classChoice(prefix) {
    var inputs = CLASS_NAMES.map(function (name, label) {
      var input = NNLib.el("input", { type: "radio", name: prefix + "-class",
                                      value: String(label), id: prefix + "-class-" + label });
      input.checked = label === 1;
      return input;
    });
    var labels = inputs.map(function (input, label) {
      return NNLib.el("label", { "for": input.id }, [input, " " + CLASS_NAMES[label]]);
    });
    var group = NNLib.el("fieldset", { "class": "xor-classes" },
                         [NNLib.el("legend", { text: "A click adds a" })].concat(labels));
    return { inputs: inputs, group: group };
  }

  // The class the reader chose for the next point.
  function chosenClass(choice) {
    for (var label = 0; label < choice.inputs.length; label++) {
      if (choice.inputs[label].checked) return label;
    }
    return 1;
  }

  // The widget's elements, built inside ``root``: its controls, the plane, the hidden units'
  // panel, the status line and the link to this setup.
  function buildView(root, settings) {
    var prefix = root.id || "xor";
    var view = {
      hidden: slider(prefix + "-hidden", "Hidden units", LIMITS.hidden[0], LIMITS.hidden[1],
                     settings.hidden),
      rate: slider(prefix + "-lr", "Learning rate", 0, RATES.length - 1,
                   nearestRate(settings.lr)),
      buttons: {
        step: NNLib.el("button", { type: "button", text: "Step" }),
        run: NNLib.el("button", { type: "button", "aria-pressed": "false", text: "Run" }),
        reset: NNLib.el("button", { type: "button", text: "Reset" }),
        clear: NNLib.el("button", { type: "button", text: "Remove added points" })
      },
      classes: classChoice(prefix),
      plane: NNLib.el("canvas", {
        "class": "xor-plane", tabindex: "0", role: "application",
        "aria-label": "The network's probability of a cross over the plane, red for a cross " +
          "and blue for a circle, with the training points. Click, or move the square with " +
          "the arrow keys and press Enter, to add a point of the chosen class."
      }),
      units: NNLib.el("div", { "class": "xor-units", role: "group",
                               "aria-label": "Each hidden unit's activation over the plane" }),
      output: NNLib.el("p", { "class": "xor-output", "data-widget-output": "", role: "status",
                              "aria-live": "polite" }),
      link: NNLib.el("a", { "class": "xor-link" })
    };
    var buttons = view.buttons;
    root.classList.add("xor-playground");
    root.append(
      NNLib.el("div", { "class": "xor-controls" }, [view.hidden.wrap, view.rate.wrap,
        view.classes.group, NNLib.el("div", { "class": "xor-buttons" },
                                     [buttons.step, buttons.run, buttons.reset, buttons.clear])]),
      NNLib.el("div", { "class": "xor-panels" }, [
        NNLib.el("figure", { "class": "xor-main" }, [view.plane, NNLib.el("figcaption", {
          text: "P(cross | x) over -10 \u2264 x1, x2 \u2264 10 (x1 to the right, x2 up)" })]),
        view.units]),
      view.output, NNLib.el("p", { "class": "xor-setup" }, ["This setup: ", view.link]));
    return view;
  }

  // The sliders, their values and the link show ``settings``.
  function showSettings(view, settings) {
    view.hidden.input.value = String(settings.hidden);
    view.hidden.shown.textContent = String(settings.hidden);
    view.hidden.input.setAttribute("aria-valuetext", settings.hidden + " hidden units");
    view.rate.input.value = String(nearestRate(settings.lr));
    view.rate.shown.textContent = String(settings.lr);
    view.rate.input.setAttribute("aria-valuetext", "learning rate " + settings.lr);
    var hash = formatHash(settings);
    view.link.href = hash;
    view.link.textContent = hash;
  }

  // One small canvas per hidden unit.
  function layoutUnits(view, hidden) {
    view.units.replaceChildren();
    for (var j = 0; j < hidden; j++) {
      view.units.appendChild(NNLib.el("figure", { "class": "xor-unit" }, [
        NNLib.el("canvas", { role: "img", "aria-label": "Hidden unit " + (j + 1) +
                                                        "'s activation" }),
        NNLib.el("figcaption", { text: "unit " + (j + 1) })]));
    }
  }

  // The status line: where the training stands and how many points the reader added.
  function statusText(trainer, added) {
    return "step " + trainer.step + ", epoch " + epochsDone(trainer) + ": mean training loss " +
      meanLoss(trainer).toFixed(4) +
      (trainer.step ? ", last minibatch " + trainer.lastLoss.toFixed(4) : "") +
      (added ? ", " + added + " added point(s)" : "");
  }

  // ---- the widget's behaviour: ``pg`` holds its data, elements and state ---------------------

  // The network to start from: seed 0's exported weights, else this file's draw.
  function startWeights(pg) {
    var exported = pg.data.weights[String(pg.settings.hidden)];
    if (pg.settings.seed === pg.data.seed && exported) {
      return makeNet(flat(exported.W1), flat(exported.b1), flat(exported.W2), flat(exported.b2));
    }
    return initNet(pg.settings.hidden, pg.settings.seed);
  }

  // A new run from the start on the page's points and the reader's: the network is always
  // trained from its start on the points shown.
  function restart(pg) {
    var data = pg.data, pageData = pg.points.length === 0;
    var X = pg.pageX.slice(), y = pg.pageY.slice();
    pg.points.forEach(function (p) { X.push(p[0], p[1]); y.push(p[2]); });
    pg.trainer = makeTrainer({
      net: startWeights(pg), X: X, y: y, lr: pg.settings.lr, weight_decay: data.weight_decay,
      betas: data.betas, eps: data.eps, batchSize: data.batch_size, seed: pg.settings.seed,
      orders: pageData && pg.settings.seed === data.seed ? pg.orders : null
    });
    draw(pg);
  }

  function draw(pg) {
    var view = pg.view, net = pg.trainer.net, X = pg.trainer.X, y = pg.trainer.y;
    fitCanvas(view.plane);
    paintSurface(view.plane, function (a, b) { return probability(net, a, b); }, X, y,
                 document.activeElement === view.plane ? pg.cursor : null);
    view.units.querySelectorAll("canvas").forEach(function (canvas, j) {
      fitCanvas(canvas);
      paintSurface(canvas, function (a, b) { return forward(net, a, b).h[j]; }, X, y, null);
    });
    view.output.textContent = statusText(pg.trainer, pg.points.length);
  }

  // One epoch's worth of steps per frame: fast enough to watch 200 epochs in seconds.
  function tick(pg) {
    var steps = Math.max(1, Math.ceil(pg.trainer.n / pg.trainer.batchSize));
    for (var i = 0; i < steps; i++) trainStep(pg.trainer);
    draw(pg);
    pg.frame = pg.running ? requestAnimationFrame(function () { tick(pg); }) : null;
  }

  function setRunning(pg, on) {
    var run = pg.view.buttons.run;
    pg.running = on;
    run.textContent = on ? "Pause" : "Run";
    run.setAttribute("aria-pressed", String(on));
    // no stream of announcements while it runs
    pg.view.output.setAttribute("aria-live", on ? "off" : "polite");
    if (on && pg.frame === null) pg.frame = requestAnimationFrame(function () { tick(pg); });
    if (!on && pg.frame !== null) { cancelAnimationFrame(pg.frame); pg.frame = null; }
  }

  function addPoint(pg, x1, x2) {
    pg.points.push([x1, x2, chosenClass(pg.view.classes)]);
    restart(pg);
  }

  // The settings shown, and kept in the URL so that the page's address is this setup.
  function saveSettings(pg) {
    showSettings(pg.view, pg.settings);
    var hash = formatHash(pg.settings);
    if (location.hash !== hash) history.replaceState(null, "", hash);
  }

  function listenToControls(pg) {
    var view = pg.view, buttons = view.buttons;
    view.hidden.input.addEventListener("input", function () {
      pg.settings.hidden = Number(view.hidden.input.value);
      saveSettings(pg);
      layoutUnits(view, pg.settings.hidden);
      restart(pg);
    });
    view.rate.input.addEventListener("input", function () {
      pg.settings.lr = RATES[Number(view.rate.input.value)];
      saveSettings(pg);
      restart(pg);
    });
    buttons.step.addEventListener("click", function () {
      setRunning(pg, false);
      trainStep(pg.trainer);
      draw(pg);
    });
    buttons.run.addEventListener("click", function () { setRunning(pg, !pg.running); });
    buttons.reset.addEventListener("click", function () { restart(pg); });
    buttons.clear.addEventListener("click", function () { pg.points = []; restart(pg); });
  }

  // The point of the plane under a click.
  function planePoint(plane, event) {
    var box = plane.getBoundingClientRect();
    var span = BOUNDS[1] - BOUNDS[0];
    return [BOUNDS[0] + (event.clientX - box.left) / box.width * span,
            BOUNDS[1] - (event.clientY - box.top) / box.height * span];
  }

  var MOVES = { ArrowLeft: [-0.5, 0], ArrowRight: [0.5, 0], ArrowUp: [0, 0.5],
                ArrowDown: [0, -0.5] };

  // The arrow keys move the cursor within the plane; Enter or space adds a point there.
  function onPlaneKey(pg, event) {
    var move = MOVES[event.key];
    if (move) {
      pg.cursor = (pg.cursor || [0, 0]).map(function (v, k) {
        return Math.min(BOUNDS[1], Math.max(BOUNDS[0], v + move[k]));
      });
      event.preventDefault();
      draw(pg);
    } else if (event.key === "Enter" || event.key === " ") {
      pg.cursor = pg.cursor || [0, 0];
      event.preventDefault();
      addPoint(pg, pg.cursor[0], pg.cursor[1]);
    }
  }

  function listenToPlane(pg) {
    var plane = pg.view.plane;
    plane.addEventListener("click", function (event) {
      var p = planePoint(plane, event);
      addPoint(pg, p[0], p[1]);
    });
    plane.addEventListener("keydown", function (event) { onPlaneKey(pg, event); });
    plane.addEventListener("focus", function () { pg.cursor = pg.cursor || [0, 0]; draw(pg); });
    plane.addEventListener("blur", function () { draw(pg); });
  }

  // A link to #xor:... on the page sets the playground up and scrolls to it.
  function listenToPage(pg) {
    window.addEventListener("hashchange", function () {
      if (!/^#xor:/.test(location.hash)) return;
      pg.settings = parseHash(location.hash, pg.defaults);
      showSettings(pg.view, pg.settings);
      layoutUnits(pg.view, pg.settings.hidden);
      restart(pg);
      pg.root.scrollIntoView({ block: "start" });
    });
    window.addEventListener("resize", function () { draw(pg); });
  }

  // The widget in ``root`` from the page's export (widgets.xor_playground_payload).
  function init(root, data) {
    var defaults = { hidden: data.hidden, lr: data.lr, seed: data.seed };
    var settings = parseHash(location.hash, defaults);
    var pg = {
      root: root, data: data, defaults: defaults, settings: settings,
      pageX: flat(data.X), pageY: flat(data.y), orders: rows(data.orders),
      view: buildView(root, settings),
      points: [],  // the reader's own points: [x1, x2, label]
      trainer: null, running: false, frame: null, cursor: null
    };
    listenToControls(pg);
    listenToPlane(pg);
    listenToPage(pg);
    showSettings(pg.view, settings);
    layoutUnits(pg.view, settings.hidden);
    restart(pg);
    NNLib.followTheme(function () { draw(pg); });  // draws now, and when the theme changes
    if (/^#xor:/.test(location.hash)) root.scrollIntoView({ block: "start" });
  }

  var XorPlayground = {
    makeNet: makeNet, initNet: initNet, forward: forward, probability: probability,
    lossAndGradient: lossAndGradient, makeTrainer: makeTrainer, trainStep: trainStep,
    meanLoss: meanLoss, epochsDone: epochsDone, parseHash: parseHash, formatHash: formatHash,
    shuffled: shuffled, seededRandom: seededRandom, RATES: RATES, init: init
  };
  if (typeof module !== "undefined" && module.exports) module.exports = XorPlayground;
  else NNLib.register("xor-playground", init);
})();
