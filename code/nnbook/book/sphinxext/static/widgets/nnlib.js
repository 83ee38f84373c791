// nnlib: what the book's live widgets share. The widget payloads (nnbook.book.kernel.widgets), the few
// operations of the book's small networks (forward, and Adam for the one trained in the page),
// the site's light or dark theme (nnbook.js reads it here too), and the loader that starts each
// widget on the page. Plain ES5, no library, no network; the same file loads in Node
// (module.exports), where the parity tests compare its operations with PyTorch.
(function (global) {
  "use strict";

  // --- payload arrays: {dtype, shape, base64}, little-endian, C order ---------------------------

  function base64Bytes(text) {
    if (typeof Buffer !== "undefined") {
      var buffer = Buffer.from(text, "base64");
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length);
    }
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  // IEEE half precision to a JS number (exact: every float16 is a float32).
  function halfToNumber(h) {
    var sign = h & 0x8000 ? -1 : 1;
    var exponent = (h >> 10) & 0x1f;
    var fraction = h & 0x3ff;
    if (exponent === 0) return sign * fraction * Math.pow(2, -24);
    if (exponent === 31) return fraction ? NaN : sign * Infinity;
    return sign * (1 + fraction / 1024) * Math.pow(2, exponent - 15);
  }

  function decodeArray(encoded) {
    var bytes = base64Bytes(encoded.base64);
    var view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    var n = encoded.shape.reduce(function (a, b) { return a * b; }, 1);
    var data;
    var i;
    switch (encoded.dtype) {
      case "float64":
        data = new Float64Array(n);
        for (i = 0; i < n; i++) data[i] = view.getFloat64(8 * i, true);
        break;
      case "float32":
        data = new Float32Array(n);
        for (i = 0; i < n; i++) data[i] = view.getFloat32(4 * i, true);
        break;
      case "float16":
        data = new Float32Array(n);
        for (i = 0; i < n; i++) data[i] = halfToNumber(view.getUint16(2 * i, true));
        break;
      case "uint8":
        data = new Uint8Array(n);
        data.set(bytes.subarray(0, n));
        break;
      case "int32":
        data = new Int32Array(n);
        for (i = 0; i < n; i++) data[i] = view.getInt32(4 * i, true);
        break;
      default:
        throw new Error("nnlib: unknown dtype " + encoded.dtype);
    }
    return { dtype: encoded.dtype, shape: encoded.shape.slice(), data: data };
  }

  function isEncodedArray(value) {
    return value !== null && typeof value === "object" && !Array.isArray(value) &&
      typeof value.base64 === "string" && typeof value.dtype === "string" &&
      Array.isArray(value.shape) && Object.keys(value).length === 3;
  }

  // The payload with every encoded array decoded to {dtype, shape, data}.
  function decodePayload(value) {
    if (Array.isArray(value)) return value.map(decodePayload);
    if (isEncodedArray(value)) return decodeArray(value);
    if (value !== null && typeof value === "object") {
      var out = {};
      Object.keys(value).forEach(function (key) { out[key] = decodePayload(value[key]); });
      return out;
    }
    return value;
  }

  // --- forward operations on one example: tensors are {shape, data}, C order ---------------------
  // Sums run in float64 (JS numbers): closer to exact than PyTorch's float32, never further.

  function tensor(shape, data) {
    var n = shape.reduce(function (a, b) { return a * b; }, 1);
    return { shape: shape, data: data || new Float64Array(n) };
  }

  // x (C, H, W); weight (O, C, K, K); bias (O); like torch.nn.functional.conv2d.
  function conv2d(x, weight, bias, stride, padding) {
    var C = x.shape[0], H = x.shape[1], W = x.shape[2];
    var O = weight.shape[0], K = weight.shape[2];
    var s = stride || 1, p = padding || 0;
    var Ho = Math.floor((H + 2 * p - K) / s) + 1, Wo = Math.floor((W + 2 * p - K) / s) + 1;
    var out = tensor([O, Ho, Wo]);
    var xd = x.data, wd = weight.data, od = out.data;
    for (var o = 0; o < O; o++) {
      for (var i = 0; i < Ho; i++) {
        for (var j = 0; j < Wo; j++) {
          var sum = bias ? bias.data[o] : 0;
          for (var c = 0; c < C; c++) {
            for (var ki = 0; ki < K; ki++) {
              var y = i * s - p + ki;
              if (y < 0 || y >= H) continue;
              var wBase = ((o * C + c) * K + ki) * K, xBase = (c * H + y) * W;
              for (var kj = 0; kj < K; kj++) {
                var xx = j * s - p + kj;
                if (xx < 0 || xx >= W) continue;
                sum += xd[xBase + xx] * wd[wBase + kj];
              }
            }
          }
          od[(o * Ho + i) * Wo + j] = sum;
        }
      }
    }
    return out;
  }

  // x (C, H, W); weight (C, O, K, K); like torch.nn.functional.conv_transpose2d: each input pixel
  // adds its weighted kernel to the output at stride s, shifted by -padding.
  function convTranspose2d(x, weight, bias, stride, padding, outputPadding) {
    var C = x.shape[0], H = x.shape[1], W = x.shape[2];
    var O = weight.shape[1], K = weight.shape[2];
    var s = stride || 1, p = padding || 0, op = outputPadding || 0;
    var Ho = (H - 1) * s - 2 * p + K + op, Wo = (W - 1) * s - 2 * p + K + op;
    var out = tensor([O, Ho, Wo]);
    var xd = x.data, wd = weight.data, od = out.data;
    for (var o = 0; o < O; o++) {
      var b = bias ? bias.data[o] : 0;
      for (var q = 0; q < Ho * Wo; q++) od[o * Ho * Wo + q] = b;
    }
    for (var c = 0; c < C; c++) {
      for (var i = 0; i < H; i++) {
        for (var j = 0; j < W; j++) {
          var v = xd[(c * H + i) * W + j];
          if (v === 0) continue;
          for (o = 0; o < O; o++) {
            for (var ki = 0; ki < K; ki++) {
              var y = i * s - p + ki;
              if (y < 0 || y >= Ho) continue;
              var wBase = ((c * O + o) * K + ki) * K, oBase = (o * Ho + y) * Wo;
              for (var kj = 0; kj < K; kj++) {
                var xx = j * s - p + kj;
                if (xx < 0 || xx >= Wo) continue;
                od[oBase + xx] += v * wd[wBase + kj];
              }
            }
          }
        }
      }
    }
    return out;
  }

  // x (C, H, W): k x k windows at stride k, rounding down, like F.max_pool2d(x, k).
  function maxPool2d(x, k) {
    var C = x.shape[0], H = x.shape[1], W = x.shape[2];
    var Ho = Math.floor(H / k), Wo = Math.floor(W / k);
    var out = tensor([C, Ho, Wo]);
    for (var c = 0; c < C; c++) {
      for (var i = 0; i < Ho; i++) {
        for (var j = 0; j < Wo; j++) {
          var best = -Infinity;
          for (var a = 0; a < k; a++) {
            for (var b = 0; b < k; b++) {
              best = Math.max(best, x.data[(c * H + i * k + a) * W + j * k + b]);
            }
          }
          out.data[(c * Ho + i) * Wo + j] = best;
        }
      }
    }
    return out;
  }

  // x (any shape, read flat as N numbers); weight (M, N); bias (M).
  function linear(x, weight, bias) {
    var M = weight.shape[0], N = weight.shape[1];
    if (x.data.length !== N) {
      throw new Error("nnlib.linear: " + x.data.length + " inputs, not " + N);
    }
    var out = tensor([M]);
    for (var m = 0; m < M; m++) {
      var sum = bias ? bias.data[m] : 0;
      for (var n = 0; n < N; n++) sum += weight.data[m * N + n] * x.data[n];
      out.data[m] = sum;
    }
    return out;
  }

  function map(x, fn) {
    var out = tensor(x.shape.slice());
    for (var i = 0; i < x.data.length; i++) out.data[i] = fn(x.data[i]);
    return out;
  }

  function relu(x) { return map(x, function (v) { return v > 0 ? v : 0; }); }

  function logistic(v) { return 1 / (1 + Math.exp(-v)); }

  // The sigmoid of a number, or of each number of a tensor.
  function sigmoid(x) { return typeof x === "number" ? logistic(x) : map(x, logistic); }

  function reshape(x, shape) { return { shape: shape, data: x.data }; }

  // Logits (an array or a tensor) as a plain array of numbers.
  function numbers(logits) { return Array.prototype.slice.call(logits.data || logits); }

  // Probabilities from logits, shifted by the maximum for stability.
  function softmax(logits) {
    var values = numbers(logits);
    var top = Math.max.apply(null, values);
    var exps = values.map(function (v) { return Math.exp(v - top); });
    var total = exps.reduce(function (a, b) { return a + b; }, 0);
    return exps.map(function (v) { return v / total; });
  }

  // Log-probabilities from logits: each logit less the log of the sum of their exponentials,
  // that sum taken from the maximum so that no exponential overflows (like torch.log_softmax).
  function logSoftmax(logits) {
    var values = numbers(logits);
    var top = Math.max.apply(null, values);
    var total = 0;
    for (var i = 0; i < values.length; i++) total += Math.exp(values[i] - top);
    var shift = top + Math.log(total);
    return values.map(function (v) { return v - shift; });
  }

  function argmax(values) {
    var best = 0;
    for (var i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
    return best;
  }

  // --- training: Adam on named parameters {name: Float64Array}, updated in place ---------------

  // Adam's state for ``params``: the step count, and the running averages of each parameter's
  // gradient and squared gradient, all zero.
  function adamState(params) {
    var state = { t: 0, m: {}, v: {} };
    Object.keys(params).forEach(function (name) {
      state.m[name] = new Float64Array(params[name].length);
      state.v[name] = new Float64Array(params[name].length);
    });
    return state;
  }

  // One step of torch.optim.Adam with L2 weight decay, ``settings`` named as its arguments are
  // ({lr, betas, eps, weight_decay}), in the order of operations of its multi-tensor ("foreach")
  // path, which the engine takes on a CPU: the same steps as PyTorch's to the last bits or so.
  function adamStep(params, grads, state, settings) {
    var beta1 = settings.betas[0], beta2 = settings.betas[1];
    state.t += 1;
    var stepSize = (settings.lr / (1 - Math.pow(beta1, state.t))) * -1;
    var bc2Sqrt = Math.pow(1 - Math.pow(beta2, state.t), 0.5);
    var w1 = 1 - beta1, w2 = 1 - beta2;
    Object.keys(params).forEach(function (name) {
      var p = params[name], g0 = grads[name], m = state.m[name], v = state.v[name];
      for (var k = 0; k < p.length; k++) {
        var g = g0[k] + settings.weight_decay * p[k];
        m[k] = m[k] + w1 * (g - m[k]);  // torch.lerp with a weight below 0.5
        v[k] = v[k] * beta2 + w2 * g * g;
        var denom = Math.sqrt(v[k]) / bc2Sqrt + settings.eps;
        p[k] = p[k] + stepSize * m[k] / denom;
      }
    });
  }

  // --- the page: theme, drawing, loader --------------------------------------------------------

  function isDark() {
    return typeof document !== "undefined" && document.documentElement.dataset.theme === "dark";
  }

  // Calls fn(isDark) now and whenever the reader switches between light and dark mode.
  function followTheme(fn) {
    fn(isDark());
    new MutationObserver(function () { fn(isDark()); }).observe(
      document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  }

  // Ink and paper for a grey image, from the theme: ink is the text colour on the page's ground.
  function palette() {
    return isDark() ? { ink: [235, 238, 242], paper: [18, 18, 18] }
      : { ink: [17, 17, 17], paper: [255, 255, 255] };
  }

  // Draws an (h, w) image of values in [0, 1] on a canvas, one canvas pixel per image pixel
  // (CSS scales it up, with image-rendering: pixelated). In the theme's ink on its paper, or,
  // ``asData``, white on black in either theme, as the book's figures show a network's images.
  function drawGrey(canvas, values, h, w, asData) {
    canvas.width = w;
    canvas.height = h;
    var context = canvas.getContext("2d");
    var image = context.createImageData(w, h);
    var colours = asData ? { ink: [255, 255, 255], paper: [0, 0, 0] } : palette();
    for (var i = 0; i < h * w; i++) {
      var v = Math.min(1, Math.max(0, values[i]));
      for (var k = 0; k < 3; k++) {
        var paper = colours.paper[k];
        image.data[4 * i + k] = Math.round(paper + v * (colours.ink[k] - paper));
      }
      image.data[4 * i + 3] = 255;
    }
    context.putImageData(image, 0, 0);
  }

  // A new element with attributes and children (strings become text).
  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) {
      if (key === "text") node.textContent = attributes[key];
      else node.setAttribute(key, attributes[key]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var widgets = {};

  // A widget's file calls register(kind, init); init(root, data) builds it inside its root.
  function register(kind, init) {
    widgets[kind] = init;
    if (typeof document !== "undefined" && document.readyState !== "loading") start();
  }

  function start() {
    document.querySelectorAll("[data-widget]").forEach(function (root) {
      var init = widgets[root.dataset.widget];
      if (!init || root.dataset.widgetStarted) return;
      var script = root.querySelector("script.nnbook-widget-data");
      if (!script) return;
      root.dataset.widgetStarted = "1";
      var widget = JSON.parse(script.textContent);
      var fallback = root.querySelector(".nnbook-widget-fallback");
      if (fallback) fallback.remove();
      init(root, decodePayload(widget.data), widget);
    });
  }

  var NNLib = {
    decodeArray: decodeArray, decodePayload: decodePayload, halfToNumber: halfToNumber,
    tensor: tensor, conv2d: conv2d, convTranspose2d: convTranspose2d, maxPool2d: maxPool2d,
    linear: linear, relu: relu, sigmoid: sigmoid, reshape: reshape, softmax: softmax,
    logSoftmax: logSoftmax, argmax: argmax, adamState: adamState, adamStep: adamStep,
    isDark: isDark, followTheme: followTheme, palette: palette, drawGrey: drawGrey, el: el,
    register: register, start: start
  };

  if (typeof module !== "undefined" && module.exports) module.exports = NNLib;
  if (typeof window !== "undefined") {
    window.NNLib = NNLib;
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  }
})(this);
