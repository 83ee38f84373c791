// The XOR playground of the learning_features page: the page's 2-H-2 network (sigmoid hidden
// units, two output scores, cross-entropy), trained in the page by Adam with L2 weight decay on
// minibatches, as nnbook.engine.fit trains it in float64.
//
// The page exports (nnbook.networks.playground_setup) the training points, the initial weights
// of mlp((2, H, 2), seed=0) for H = 1..8, the optimiser's settings and the engine's order of the
// examples for each epoch, so that with the page's data the first steps are the book's run: a
// unit test (tests/unit/test_xor_playground.py) runs this file in Node and compares 200 steps
// with PyTorch's, parameter by parameter. Once the reader adds points or asks for a new seed,
// the order and the initial weights come from a seeded generator of this file instead
// (deterministic, but not PyTorch's).
//
// The pure functions at the top work in Node too (module.exports); the rest draws the widget.
(function () {
  "use strict";

  // ---- the network and its training: pure functions ------------------------------------------

  /** A 2-H-2 network from weights W1 (H x 2), b1 (H), W2 (2 x H), b2 (2), row-major. */
  function makeNet(W1, b1, W2, b2) {
    const H = b1.length;
    if (W1.length !== 2 * H || W2.length !== 2 * H || b2.length !== 2) {
      throw new Error("expected a 2-H-2 network's weights");
    }
    return { H: H, W1: Float64Array.from(W1), b1: Float64Array.from(b1),
             W2: Float64Array.from(W2), b2: Float64Array.from(b2) };
  }

  function cloneNet(net) {
    return makeNet(net.W1, net.b1, net.W2, net.b2);
  }

  /** mulberry32: a small seeded generator of uniform numbers in [0, 1). */
  function seededRandom(seed) {
    let a = (seed >>> 0) || 0x9e3779b9;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** Initial weights as torch.nn.Linear draws them (uniform within 1/sqrt(fan_in)), from this
   *  file's generator: for a seed or a size the page did not export. */
  function initNet(H, seed) {
    const random = seededRandom(1000003 * (seed + 1) + H);
    const uniform = (n, bound) => Array.from({ length: n }, () => (2 * random() - 1) * bound);
    const b1Bound = 1 / Math.sqrt(2), b2Bound = 1 / Math.sqrt(H);
    return makeNet(uniform(2 * H, b1Bound), uniform(H, b1Bound),
                   uniform(2 * H, b2Bound), uniform(2, b2Bound));
  }

  function sigmoid(z) {
    return 1 / (1 + Math.exp(-z));
  }

  /** The hidden activations (H) and the two scores for the point (x1, x2). */
  function forward(net, x1, x2) {
    const h = new Float64Array(net.H);
    for (let j = 0; j < net.H; j++) {
      h[j] = sigmoid(x1 * net.W1[2 * j] + x2 * net.W1[2 * j + 1] + net.b1[j]);
    }
    const s = [net.b2[0], net.b2[1]];
    for (let c = 0; c < 2; c++) {
      let sum = 0;
      for (let j = 0; j < net.H; j++) sum += h[j] * net.W2[c * net.H + j];
      s[c] = sum + net.b2[c];
    }
    return { h: h, s: s };
  }

  /** log P(class 0), log P(class 1) from the two scores (a stable log-softmax). */
  function logSoftmax(s) {
    const top = Math.max(s[0], s[1]);
    const shift = top + Math.log(Math.exp(s[0] - top) + Math.exp(s[1] - top));
    return [s[0] - shift, s[1] - shift];
  }

  /** P(class 1 | x): the probability of a cross. */
  function probability(net, x1, x2) {
    return Math.exp(logSoftmax(forward(net, x1, x2).s)[1]);
  }

  /** The mean cross-entropy over the examples ``idx`` and its gradient for every parameter. */
  function lossAndGradient(net, X, y, idx) {
    const H = net.H, B = idx.length;
    const grad = { W1: new Float64Array(2 * H), b1: new Float64Array(H),
                   W2: new Float64Array(2 * H), b2: new Float64Array(2) };
    let total = 0;
    for (const i of idx) {
      const x1 = X[2 * i], x2 = X[2 * i + 1];
      const out = forward(net, x1, x2);
      const logp = logSoftmax(out.s);
      total -= logp[y[i]];
      // d(loss)/d(score c) = (P(c) - [c = y]) / B, computed as PyTorch's log-softmax backward
      // does: the loss's gradient g (-1/B at the label) minus P(c) times the sum of g
      const g = -1 / B;
      const ds = [(y[i] === 0 ? g : 0) - Math.exp(logp[0]) * g,
                  (y[i] === 1 ? g : 0) - Math.exp(logp[1]) * g];
      for (let c = 0; c < 2; c++) {
        grad.b2[c] += ds[c];
        for (let j = 0; j < H; j++) grad.W2[c * H + j] += ds[c] * out.h[j];
      }
      for (let j = 0; j < H; j++) {
        const dh = ds[0] * net.W2[j] + ds[1] * net.W2[H + j];
        const dz = dh * (1 - out.h[j]) * out.h[j];  // the sigmoid's derivative
        grad.b1[j] += dz;
        grad.W1[2 * j] += dz * x1;
        grad.W1[2 * j + 1] += dz * x2;
      }
    }
    return { loss: total / B, grad: grad };
  }

  const PARAMS = ["W1", "b1", "W2", "b2"];

  /** Adam's running averages, empty: one pair per parameter tensor. */
  function makeAdam(net) {
    const state = { t: 0, m: {}, v: {} };
    for (const name of PARAMS) {
      state.m[name] = new Float64Array(net[name].length);
      state.v[name] = new Float64Array(net[name].length);
    }
    return state;
  }

  /** One Adam step with L2 weight decay, in the order of operations of torch.optim.Adam's
   *  multi-tensor ("foreach") path, which the engine uses on a CPU. */
  function adamStep(net, grad, state, opts) {
    const beta1 = opts.betas[0], beta2 = opts.betas[1];
    state.t += 1;
    const stepSize = (opts.lr / (1 - Math.pow(beta1, state.t))) * -1;
    const bc2Sqrt = Math.pow(1 - Math.pow(beta2, state.t), 0.5);
    const w1 = 1 - beta1, w2 = 1 - beta2;
    for (const name of PARAMS) {
      const p = net[name], g0 = grad[name], m = state.m[name], v = state.v[name];
      for (let k = 0; k < p.length; k++) {
        const g = g0[k] + opts.weight_decay * p[k];
        m[k] = m[k] + w1 * (g - m[k]);  // torch.lerp with a weight below 0.5
        v[k] = v[k] * beta2 + w2 * g * g;
        const denom = Math.sqrt(v[k]) / bc2Sqrt + opts.eps;
        p[k] = p[k] + stepSize * m[k] / denom;
      }
    }
  }

  /** Fisher-Yates shuffle of 0..n-1 drawn from ``random``. */
  function shuffled(n, random) {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const tmp = order[i]; order[i] = order[j]; order[j] = tmp;
    }
    return order;
  }

  /**
   * A training run: the network, Adam's state, the data and where it stands in the epoch.
   * ``orders`` (epochs x n, the engine's order) is used while the data are the page's and the
   * seed is the exported one; past its epochs, or on other data, the order is drawn here.
   */
  function makeTrainer(opts) {
    const n = opts.y.length;
    return {
      net: cloneNet(opts.net), adam: null, X: Float64Array.from(opts.X),
      y: Uint8Array.from(opts.y), n: n, lr: opts.lr, weight_decay: opts.weight_decay,
      betas: opts.betas, eps: opts.eps, batchSize: opts.batchSize,
      orders: opts.orders || null, random: seededRandom(7919 * (opts.seed || 0) + n),
      step: 0, epoch: 0, order: null, position: 0, lastLoss: NaN,
    };
  }

  function epochOrder(trainer) {
    const orders = trainer.orders;
    if (orders && trainer.epoch < orders.length && orders[trainer.epoch].length === trainer.n) {
      return Array.from(orders[trainer.epoch]);
    }
    return shuffled(trainer.n, trainer.random);
  }

  /** One minibatch step, as the engine's train_epoch takes it; returns the batch's loss. */
  function trainStep(trainer) {
    if (trainer.adam === null) trainer.adam = makeAdam(trainer.net);
    if (trainer.order === null || trainer.position >= trainer.n) {
      if (trainer.order !== null) trainer.epoch += 1;
      trainer.order = epochOrder(trainer);
      trainer.position = 0;
    }
    const idx = trainer.order.slice(trainer.position, trainer.position + trainer.batchSize);
    trainer.position += idx.length;
    const result = lossAndGradient(trainer.net, trainer.X, trainer.y, idx);
    adamStep(trainer.net, result.grad, trainer.adam, trainer);
    trainer.step += 1;
    trainer.lastLoss = result.loss;
    return result.loss;
  }

  /** The mean cross-entropy over all the training points. */
  function meanLoss(trainer) {
    const all = Array.from({ length: trainer.n }, (_, i) => i);
    return lossAndGradient(trainer.net, trainer.X, trainer.y, all).loss;
  }

  /** Epochs finished: full passes over the data. */
  function epochsDone(trainer) {
    return trainer.order === null ? 0 : trainer.epoch + (trainer.position >= trainer.n ? 1 : 0);
  }

  // ---- the settings in the URL hash: #xor:hidden=4&lr=0.5&seed=0 -----------------------------

  const LIMITS = { hidden: [1, 8] };
  const RATES = [0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 0.5, 1];

  /** The settings a hash asks for, over ``defaults``; what it does not name, or names wrongly,
   *  keeps its default. */
  function parseHash(hash, defaults) {
    const settings = Object.assign({}, defaults);
    const match = /^#?xor:(.*)$/.exec(hash || "");
    if (!match) return settings;
    for (const part of match[1].split("&")) {
      const [key, raw] = part.split("=");
      const value = Number(raw);
      if (!Number.isFinite(value)) continue;
      if (key === "hidden" && Number.isInteger(value) && value >= LIMITS.hidden[0] &&
          value <= LIMITS.hidden[1]) settings.hidden = value;
      if (key === "lr" && value > 0 && value <= 10) settings.lr = value;
      if (key === "seed" && Number.isInteger(value) && value >= 0) settings.seed = value;
    }
    return settings;
  }

  function formatHash(settings) {
    return `#xor:hidden=${settings.hidden}&lr=${settings.lr}&seed=${settings.seed}`;
  }

  const core = { makeNet, initNet, forward, probability, lossAndGradient, makeAdam, adamStep,
                 makeTrainer, trainStep, meanLoss, epochsDone, parseHash, formatHash, shuffled,
                 seededRandom, RATES };
  if (typeof module !== "undefined" && module.exports) {
    module.exports = core;
    return;
  }

  // ---- the widget --------------------------------------------------------------------------

  const el = window.NNLib.el;  // the shared element builder (nnlib.js loads first)

  const BOUNDS = [-10, 10];  // the page's surfaces cover this square
  const GRID = 64;  // the surface is computed on GRID x GRID points and smoothed when drawn
  // The page's surfaces' scale (nnbook.plotting.SURFACE_COLOURSCALE), opaque: pale blue for 0,
  // near white at 0.5, pale red for 1, so that the points in full colour stand out on it
  const SCALE = [[188, 214, 235], [247, 247, 247], [247, 203, 191]];
  const CLASS_COLOURS = ["#1f77b4", "#d62728"];
  const CLASS_NAMES = ["circle (y = 0)", "cross (y = 1)"];

  function colour(p) {
    const x = Math.min(1, Math.max(0, p)) * (SCALE.length - 1);
    const i = Math.min(SCALE.length - 2, Math.floor(x)), f = x - i;
    return SCALE[i].map((c, k) => Math.round(c + f * (SCALE[i + 1][k] - c)));
  }

  /** Rows of a decoded array ({shape, data}) or nested lists, as arrays. */
  function rows(array) {
    if (Array.isArray(array)) return array;
    const [r, c] = array.shape;
    return Array.from({ length: r }, (_, i) => array.data.subarray(i * c, (i + 1) * c));
  }

  function flat(array) {
    return Array.isArray(array) ? array.flat() : Array.from(array.data);
  }

  function themeColours() {
    return window.NNLib.isDark()
      ? { text: "#ced6dd", edge: "#14181e", frame: "#8a99ad", alpha: 1 }
      : { text: "#222832", edge: "#ffffff", frame: "#5a6270", alpha: 1 };
  }

  /** Paint ``value(x1, x2)`` (in [0, 1]) over ``canvas``, with the points on top. */
  function paintSurface(canvas, value, X, y, cursor) {
    const ctx = canvas.getContext("2d");
    const size = canvas.width, theme = themeColours();
    const grid = document.createElement("canvas");
    grid.width = grid.height = GRID;
    const image = grid.getContext("2d").createImageData(GRID, GRID);
    const step = (BOUNDS[1] - BOUNDS[0]) / (GRID - 1);
    for (let r = 0; r < GRID; r++) {
      const x2 = BOUNDS[1] - r * step;  // the top row is the largest x2
      for (let c = 0; c < GRID; c++) {
        const rgb = colour(value(BOUNDS[0] + c * step, x2));
        const k = 4 * (r * GRID + c);
        image.data[k] = rgb[0]; image.data[k + 1] = rgb[1]; image.data[k + 2] = rgb[2];
        image.data[k + 3] = Math.round(255 * theme.alpha);
      }
    }
    grid.getContext("2d").putImageData(image, 0, 0);
    ctx.clearRect(0, 0, size, size);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(grid, 0, 0, size, size);
    ctx.strokeStyle = theme.frame;
    ctx.lineWidth = 1;
    ctx.strokeRect(0.5, 0.5, size - 1, size - 1);
    const scale = size / (BOUNDS[1] - BOUNDS[0]);
    const r = Math.max(1.2, size / 110), width = Math.max(1, r / 2);
    for (let i = 0; i < y.length; i++) {
      const px = (X[2 * i] - BOUNDS[0]) * scale, py = (BOUNDS[1] - X[2 * i + 1]) * scale;
      // a thin edge in the page's colour keeps each marker visible on either class's colour
      drawMarker(ctx, y[i], px, py, r, theme.edge, width + 1.5);
      drawMarker(ctx, y[i], px, py, r, CLASS_COLOURS[y[i]], width);
    }
    if (cursor) {
      const px = (cursor[0] - BOUNDS[0]) * scale, py = (BOUNDS[1] - cursor[1]) * scale;
      ctx.strokeStyle = theme.text;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(px - 3 * r, py - 3 * r, 6 * r, 6 * r);
    }
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

  function slider(id, label, min, max, value) {
    const input = el("input", { type: "range", id: id, min: String(min), max: String(max),
                                step: "1", value: String(value) });
    const shown = el("output", { for: id, class: "xor-value" });
    const wrap = el("div", { class: "xor-control" },
                    [el("label", { for: id, text: label }), input, shown]);
    return { input: input, shown: shown, wrap: wrap };
  }

  function nearestRate(lr) {
    let best = 0;
    RATES.forEach((r, i) => {
      if (Math.abs(Math.log(r / lr)) < Math.abs(Math.log(RATES[best] / lr))) best = i;
    });
    return best;
  }

  function playground(root, data) {
    const weights = data.weights;  // {"1": {W1, b1, W2, b2}, ..., "8": ...}: seed 0's
    const pageX = flat(data.X), pageY = flat(data.y);
    const orders = rows(data.orders);
    const defaults = { hidden: data.hidden, lr: data.lr, seed: data.seed };
    const prefix = root.id || "xor";
    let settings = parseHash(location.hash, defaults);
    let points = [];  // the reader's own points: [x1, x2, label]
    let trainer = null, running = false, frame = null, cursor = null;

    // controls
    const hidden = slider(`${prefix}-hidden`, "Hidden units", LIMITS.hidden[0], LIMITS.hidden[1],
                          settings.hidden);
    const rate = slider(`${prefix}-lr`, "Learning rate", 0, RATES.length - 1,
                        nearestRate(settings.lr));
    const buttons = {
      step: el("button", { type: "button", text: "Step" }),
      run: el("button", { type: "button", "aria-pressed": "false", text: "Run" }),
      reset: el("button", { type: "button", text: "Reset" }),
      clear: el("button", { type: "button", text: "Remove added points" }),
    };
    const classes = CLASS_NAMES.map((name, label) => {
      const input = el("input", { type: "radio", name: `${prefix}-class`, value: String(label),
                                  id: `${prefix}-class-${label}` });
      input.checked = label === 1;
      return { input: input, wrap: el("label", { for: input.id }, [input,
                                                   document.createTextNode(" " + name)]) };
    });
    const classGroup = el("fieldset", { class: "xor-classes" },
                          [el("legend", { text: "A click adds a" }), ...classes.map(c => c.wrap)]);
    const plane = el("canvas", {
      class: "xor-plane", tabindex: "0", role: "application",
      "aria-label": "The network's probability of a cross over the plane, red for a cross and " +
        "blue for a circle, with the training points. Click, or move the square with the " +
        "arrow keys and press Enter, to add a point of the chosen class.",
    });
    const units = el("div", { class: "xor-units", role: "group",
                              "aria-label": "Each hidden unit's activation over the plane" });
    const output = el("p", { class: "xor-output", "data-widget-output": "", role: "status",
                             "aria-live": "polite" });
    const link = el("a", { class: "xor-link" });
    root.classList.add("xor-playground");
    root.append(
      el("div", { class: "xor-controls" }, [hidden.wrap, rate.wrap, classGroup,
        el("div", { class: "xor-buttons" }, Object.values(buttons))]),
      el("div", { class: "xor-panels" }, [
        el("figure", { class: "xor-main" }, [plane, el("figcaption", {
          text: "P(cross | x) over -10 \u2264 x1, x2 \u2264 10 (x1 to the right, x2 up)" })]),
        units]),
      output, el("p", { class: "xor-setup" }, [document.createTextNode("This setup: "), link]));

    function pageData() {
      return points.length === 0;
    }

    function startWeights() {
      const exported = weights[String(settings.hidden)];
      if (settings.seed === data.seed && exported) {
        return makeNet(flat(exported.W1), flat(exported.b1), flat(exported.W2), flat(exported.b2));
      }
      return initNet(settings.hidden, settings.seed);
    }

    function restart() {
      const X = pageX.concat(points.flatMap(p => [p[0], p[1]]));
      const y = pageY.concat(points.map(p => p[2]));
      trainer = makeTrainer({
        net: startWeights(), X: X, y: y, lr: settings.lr, weight_decay: data.weight_decay,
        betas: data.betas, eps: data.eps, batchSize: data.batch_size, seed: settings.seed,
        orders: pageData() && settings.seed === data.seed ? orders : null,
      });
      draw();
    }

    function showSettings() {
      hidden.input.value = String(settings.hidden);
      hidden.shown.textContent = String(settings.hidden);
      hidden.input.setAttribute("aria-valuetext", `${settings.hidden} hidden units`);
      rate.input.value = String(nearestRate(settings.lr));
      rate.shown.textContent = String(settings.lr);
      rate.input.setAttribute("aria-valuetext", `learning rate ${settings.lr}`);
      const hash = formatHash(settings);
      link.href = hash;
      link.textContent = hash;
    }

    function saveSettings() {
      showSettings();
      if (location.hash !== formatHash(settings)) {
        history.replaceState(null, "", formatHash(settings));
      }
    }

    function layoutUnits() {
      units.replaceChildren();
      for (let j = 0; j < settings.hidden; j++) {
        units.appendChild(el("figure", { class: "xor-unit" }, [
          el("canvas", { role: "img", "aria-label": `Hidden unit ${j + 1}'s activation` }),
          el("figcaption", { text: `unit ${j + 1}` })]));
      }
    }

    function fitCanvas(canvas) {
      const ratio = window.devicePixelRatio || 1;
      const size = Math.max(60, Math.round(canvas.clientWidth * ratio)) || 300;
      if (canvas.width !== size || canvas.height !== size) {
        canvas.width = size; canvas.height = size;
      }
    }

    function draw() {
      const net = trainer.net;
      fitCanvas(plane);
      paintSurface(plane, (a, b) => probability(net, a, b), trainer.X, trainer.y,
                   document.activeElement === plane ? cursor : null);
      units.querySelectorAll("canvas").forEach((canvas, j) => {
        fitCanvas(canvas);
        paintSurface(canvas, (a, b) => forward(net, a, b).h[j], trainer.X, trainer.y, null);
      });
      const added = points.length ? `, ${points.length} added point(s)` : "";
      output.textContent = `step ${trainer.step}, epoch ${epochsDone(trainer)}: mean training ` +
        `loss ${meanLoss(trainer).toFixed(4)}` +
        (trainer.step ? `, last minibatch ${trainer.lastLoss.toFixed(4)}` : "") + added;
    }

    function tick() {
      // One epoch's worth of steps per frame: fast enough to watch 200 epochs in seconds.
      const steps = Math.max(1, Math.ceil(trainer.n / trainer.batchSize));
      for (let i = 0; i < steps; i++) trainStep(trainer);
      draw();
      frame = running ? requestAnimationFrame(tick) : null;
    }

    function setRunning(on) {
      running = on;
      buttons.run.textContent = on ? "Pause" : "Run";
      buttons.run.setAttribute("aria-pressed", String(on));
      output.setAttribute("aria-live", on ? "off" : "polite");  // no stream of announcements
      if (on && frame === null) frame = requestAnimationFrame(tick);
      if (!on && frame !== null) { cancelAnimationFrame(frame); frame = null; }
    }

    function addPoint(x1, x2) {
      const label = classes.findIndex(c => c.input.checked);
      points.push([x1, x2, label < 0 ? 1 : label]);
      restart();  // the network is always trained from its start on the points shown
    }

    function planePoint(event) {
      const box = plane.getBoundingClientRect();
      const span = BOUNDS[1] - BOUNDS[0];
      return [BOUNDS[0] + (event.clientX - box.left) / box.width * span,
              BOUNDS[1] - (event.clientY - box.top) / box.height * span];
    }

    hidden.input.addEventListener("input", () => {
      settings.hidden = Number(hidden.input.value);
      saveSettings(); layoutUnits(); restart();
    });
    rate.input.addEventListener("input", () => {
      settings.lr = RATES[Number(rate.input.value)];
      saveSettings(); restart();
    });
    buttons.step.addEventListener("click", () => {
      setRunning(false);
      trainStep(trainer);
      draw();
    });
    buttons.run.addEventListener("click", () => setRunning(!running));
    buttons.reset.addEventListener("click", () => restart());
    buttons.clear.addEventListener("click", () => { points = []; restart(); });
    plane.addEventListener("click", event => {
      const p = planePoint(event);
      addPoint(p[0], p[1]);
    });
    plane.addEventListener("keydown", event => {
      const moves = { ArrowLeft: [-0.5, 0], ArrowRight: [0.5, 0], ArrowUp: [0, 0.5],
                      ArrowDown: [0, -0.5] };
      if (moves[event.key]) {
        cursor = cursor || [0, 0];
        const move = moves[event.key];
        cursor = cursor.map((v, k) => Math.min(BOUNDS[1], Math.max(BOUNDS[0], v + move[k])));
        event.preventDefault();
        draw();
      } else if (event.key === "Enter" || event.key === " ") {
        cursor = cursor || [0, 0];
        event.preventDefault();
        addPoint(cursor[0], cursor[1]);
      }
    });
    plane.addEventListener("focus", () => { cursor = cursor || [0, 0]; draw(); });
    plane.addEventListener("blur", () => draw());
    window.addEventListener("hashchange", () => {
      if (!/^#xor:/.test(location.hash)) return;
      settings = parseHash(location.hash, defaults);
      showSettings(); layoutUnits(); restart();
      root.scrollIntoView({ block: "start" });
    });
    window.addEventListener("resize", () => draw());

    showSettings();
    layoutUnits();
    restart();
    window.NNLib.followTheme(() => draw());  // draws now, and again when the theme changes
    if (/^#xor:/.test(location.hash)) root.scrollIntoView({ block: "start" });
  }

  if (window.NNLib && typeof window.NNLib.register === "function") {
    window.NNLib.register("xor-playground", playground);
  }
})();
