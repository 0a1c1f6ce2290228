// The NCA step of nca_jax in plain typed-array JavaScript (growing and texture models),
// the page's update masks, drawing, and the controls. No network, no dependencies.
//
// One step, as nca_jax.nca.growing.step_with_fire / texture.step_with_fire:
//   perception: every 3x3 kernel on every channel (filter-major vector), zero or circular
//   padding; update rule: hidden = relu?(p W1 + b1), dx = hidden W2 (+ b2);
//   x + dx * fire; growing: times the alive mask before and after (3x3 max of alpha >
//   threshold); SRNCA: soft clamp sigmoid(4 (x - 0.5)).
// Cells whose update cannot change anything (not fired; growing: no cell alive in their
// 3x3 neighbourhood before the step, so neither they nor their neighbours survive it)
// skip the update rule: the result is the same and a step costs half.
"use strict";

// ---------------------------------------------------------------- masks (web/masks.py)
function hash32(x) {
  x = x >>> 0;
  x ^= x >>> 16; x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15; x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

function fireMask(seed, step, n, rate, out) {
  const base = hash32((step + hash32(seed)) >>> 0);
  for (let i = 0; i < n; i++) {
    const u = (hash32((i + base) >>> 0) >>> 8) / 16777216;
    out[i] = u < rate ? 1 : 0;
  }
  return out;
}

// ---------------------------------------------------------------- the model
class NCA {
  constructor(spec) {
    this.spec = spec;
    this.C = spec.channels;
    this.hidden = spec.hidden;
    // float64 copies of the float32 weights (exact; no conversion in the inner loops)
    this.w1 = Float64Array.from(spec.w1);
    // W1 transposed (hidden x inputs): each hidden unit is one dot product, summed in a
    // register instead of read and written back for every input
    this.nIn = spec.kernels.length * this.C;
    this.w1t = new Float64Array(this.w1.length);
    for (let i = 0; i < this.nIn; i++)
      for (let j = 0; j < spec.hidden; j++) this.w1t[j * this.nIn + i] = this.w1[i * spec.hidden + j];
    this.b1 = spec.b1 ? Float64Array.from(spec.b1) : null;
    this.w2 = Float64Array.from(spec.w2);
    this.b2 = spec.b2 ? Float64Array.from(spec.b2) : null;
    // the kernels' non-zero taps, flat: for kernel f, tapIndex[tapStart[f] .. tapStart[f+1])
    // are neighbourhood indices 0..8 and tapWeight their weights
    const idx = [], wts = [], start = [0];
    for (const k of spec.kernels) {
      for (let i = 0; i < 9; i++) if (k[i] !== 0) { idx.push(i); wts.push(k[i]); }
      start.push(idx.length);
    }
    this.tapIndex = Int32Array.from(idx);
    this.tapWeight = Float64Array.from(wts);
    this.tapStart = Int32Array.from(start);
    this.nFilters = spec.kernels.length;
    // a linear hidden layer (SRNCA) folds into one matrix: dx = p (W1 W2) + b1 W2 (+ b2)
    this.linear = !spec.relu;
    if (this.linear) {
      const C = this.C, nH = this.hidden;
      this.w12 = new Float64Array(this.nIn * C);
      this.b12 = new Float64Array(C);
      for (let i = 0; i < this.nIn; i++)
        for (let j = 0; j < nH; j++)
          for (let c = 0; c < C; c++) this.w12[i * C + c] += this.w1[i * nH + j] * this.w2[j * C + c];
      for (let c = 0; c < C; c++) {
        let s = this.b2 ? this.b2[c] : 0;
        if (this.b1) for (let j = 0; j < nH; j++) s += this.b1[j] * this.w2[j * C + c];
        this.b12[c] = s;
      }
    }
    this.nb = new Int32Array(9);
    this.p = new Float64Array(this.nIn);
    this.h = new Float64Array(this.hidden);
    this.dx = new Float64Array(this.C);
  }

  // offsets into x of the 3x3 neighbourhood of (y, xx), row-major; -1 outside a zero-padded
  // grid (circular padding wraps)
  neighbours(H, W, y, xx) {
    const circ = this.spec.padding === "circular", nb = this.nb;
    for (let i = 0; i < 9; i++) {
      let yy = y + Math.floor(i / 3) - 1, x2 = xx + (i % 3) - 1;
      if (circ) { yy = (yy + H) % H; x2 = (x2 + W) % W; }
      nb[i] = yy < 0 || yy >= H || x2 < 0 || x2 >= W ? -1 : (yy * W + x2) * this.C;
    }
    return nb;
  }

  // 1 where some cell of the 3x3 neighbourhood has m = 1 (the model's padding)
  dilate(m, H, W) {
    const out = new Uint8Array(H * W), circ = this.spec.padding === "circular";
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let v = 0;
        for (let dy = -1; dy <= 1 && !v; dy++) {
          for (let dx = -1; dx <= 1 && !v; dx++) {
            let yy = y + dy, x2 = x + dx;
            if (circ) { yy = (yy + H) % H; x2 = (x2 + W) % W; }
            else if (yy < 0 || yy >= H || x2 < 0 || x2 >= W) continue;
            v = m[yy * W + x2];
          }
        }
        out[y * W + x] = v;
      }
    }
    return out;
  }

  aliveMask(x, H, W, out) {
    const C = this.C, th = this.spec.alive_threshold, circ = this.spec.padding === "circular";
    for (let y = 0; y < H; y++) {
      for (let xx = 0; xx < W; xx++) {
        let m = -Infinity;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            let yy = y + dy, x2 = xx + dx;
            if (circ) { yy = (yy + H) % H; x2 = (x2 + W) % W; }
            else if (yy < 0 || yy >= H || x2 < 0 || x2 >= W) { m = Math.max(m, 0); continue; }
            m = Math.max(m, x[(yy * W + x2) * C + 3]);
          }
        }
        out[y * W + xx] = m > th ? 1 : 0;
      }
    }
    return out;
  }

  // the update rule of one perception vector p into dx
  rule(p, dx) {
    const C = this.C, nH = this.hidden, nIn = this.nIn;
    if (this.linear) {
      const w12 = this.w12;
      for (let c = 0; c < C; c++) dx[c] = this.b12[c];
      for (let i = 0; i < nIn; i++) {
        const pi = p[i];
        if (pi === 0) continue;
        for (let c = 0; c < C; c++) dx[c] += pi * w12[i * C + c];
      }
      return dx;
    }
    const h = this.h, w1t = this.w1t, w2 = this.w2, b1 = this.b1;
    for (let j = 0; j < nH; j++) {
      let sum = b1 ? b1[j] : 0;
      const row = j * nIn;
      for (let i = 0; i < nIn; i++) sum += p[i] * w1t[row + i];
      h[j] = sum;
    }
    for (let c = 0; c < C; c++) dx[c] = this.b2 ? this.b2[c] : 0;
    for (let j = 0; j < nH; j++) {
      const hj = h[j];
      if (!(hj > 0)) continue; // ReLU
      const row = j * C;
      for (let c = 0; c < C; c++) dx[c] += hj * w2[row + c];
    }
    return dx;
  }

  // one step of x (Float32Array H*W*C) with the update mask fire (Uint8Array: H*W per
  // cell, H*W*C per element); returns a new Float32Array
  step(x, H, W, fire) {
    const C = this.C, spec = this.spec;
    const growing = spec.kind === "growing", perElement = spec.mask_per === "element";
    const srnca = spec.kind === "srnca";
    const y = Float32Array.from(x);
    const pre = growing ? this.aliveMask(x, H, W, new Uint8Array(H * W)) : null;
    const near = growing ? this.dilate(pre, H, W) : null;
    const p = this.p, dxv = this.dx;
    for (let cy = 0; cy < H; cy++) {
      for (let cx = 0; cx < W; cx++) {
        const cell = cy * W + cx;
        if (growing && !near[cell]) continue; // it and its neighbours end dead
        if (!perElement && !fire[cell]) continue; // no update
        // perception vector, filter-major
        const nb = this.neighbours(H, W, cy, cx);
        const ti = this.tapIndex, tw = this.tapWeight, ts = this.tapStart;
        for (let f = 0, k = 0; f < this.nFilters; f++, k += C) {
          for (let c = 0; c < C; c++) p[k + c] = 0;
          for (let t = ts[f]; t < ts[f + 1]; t++) {
            const o = nb[ti[t]];
            if (o < 0) continue;
            const wt = tw[t];
            for (let c = 0; c < C; c++) p[k + c] += wt * x[o + c];
          }
        }
        this.rule(p, dxv);
        const base = cell * C;
        for (let c = 0; c < C; c++) {
          const f = perElement ? fire[base + c] : 1;
          if (f) y[base + c] = x[base + c] + dxv[c];
        }
      }
    }
    if (srnca) {
      for (let i = 0; i < y.length; i++) y[i] = 1 / (1 + Math.exp(-4 * (y[i] - 0.5)));
    }
    if (growing) {
      const post = this.aliveMask(y, H, W, new Uint8Array(H * W));
      for (let cell = 0; cell < H * W; cell++) {
        if (!(pre[cell] && post[cell])) y.fill(0, cell * C, cell * C + C);
      }
    }
    return y;
  }

  seedState(H, W) {
    const x = new Float32Array(H * W * this.C);
    if (this.spec.kind === "growing") {
      const base = (Math.floor(H / 2) * W + Math.floor(W / 2)) * this.C;
      for (let c = 3; c < this.C; c++) x[base + c] = 1;
    }
    return x;
  }

  maskLength(H, W) { return this.spec.mask_per === "element" ? H * W * this.C : H * W; }

  // RGBA bytes of the picture of state x (web/model.py render)
  render(x, H, W, rgba) {
    const C = this.C, kind = this.spec.kind;
    const byte = (v) => Math.floor(Math.min(1, Math.max(0, v)) * 255 + 0.5);
    for (let cell = 0; cell < H * W; cell++) {
      const b = cell * C;
      let r, g, bl;
      if (kind === "growing") {
        const a = Math.min(1, Math.max(0, x[b + 3]));
        const cl = (v) => Math.min(1, Math.max(0, v));
        r = 1 - a + cl(x[b]); g = 1 - a + cl(x[b + 1]); bl = 1 - a + cl(x[b + 2]);
      } else {
        const off = kind === "srnca" ? 0 : 0.5;
        r = x[b] + off; g = x[b + 1] + off; bl = x[b + 2] + off;
      }
      rgba[4 * cell] = byte(r); rgba[4 * cell + 1] = byte(g); rgba[4 * cell + 2] = byte(bl);
      rgba[4 * cell + 3] = 255;
    }
    return rgba;
  }

  // the test vector: the largest difference between this step and JAX's
  verify() {
    const t = this.spec.test;
    const y = this.step(Float32Array.from(t.x), t.height, t.width, Uint8Array.from(t.fire));
    let worst = 0;
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - t.y[i]));
    return worst;
  }
}

// ---------------------------------------------------------------- one panel of the page
class Panel {
  constructor(spec, root, page) {
    this.nca = new NCA(spec);
    this.H = spec.height; this.W = spec.width;
    this.page = page;
    this.seed = 1;
    this.maxDiff = this.nca.verify();
    this.verified = this.maxDiff <= 1e-4;
    this.fire = new Uint8Array(this.nca.maskLength(this.H, this.W));
    const el = document.createElement("section");
    el.className = "panel";
    el.innerHTML = `<h2></h2><canvas class="view"></canvas>
      <p class="check"></p><p class="rate">steps/s: –</p><p class="at">step 0</p>`;
    el.querySelector("h2").textContent = spec.name;
    const check = el.querySelector(".check");
    check.textContent = this.verified
      ? `verified against JAX (max difference ${this.maxDiff.toExponential(1)})`
      : `NOT verified: max difference ${this.maxDiff.toExponential(2)} from JAX`;
    check.classList.add(this.verified ? "ok" : "bad");
    this.canvas = el.querySelector("canvas");
    this.canvas.width = this.W; this.canvas.height = this.H;
    const scale = Math.max(2, Math.floor(Math.min(480 / this.W, 480 / this.H)));
    this.canvas.style.width = `${this.W * scale}px`;
    this.canvas.style.height = `${this.H * scale}px`;
    this.ctx = this.canvas.getContext("2d");
    this.image = this.ctx.createImageData(this.W, this.H);
    this.rateEl = el.querySelector(".rate");
    this.stepEl = el.querySelector(".at");
    root.appendChild(el);
    this.bindPointer();
    this.reset();
  }

  reset() {
    this.x = this.nca.seedState(this.H, this.W);
    this.t = 0;
    this.draw();
  }

  step(n = 1) {
    for (let i = 0; i < n; i++) {
      fireMask(this.seed, this.t, this.fire.length, this.nca.spec.fire_rate, this.fire);
      this.x = this.nca.step(this.x, this.H, this.W, this.fire);
      this.t += 1;
    }
    this.draw();
  }

  draw() {
    this.nca.render(this.x, this.H, this.W, this.image.data);
    this.ctx.putImageData(this.image, 0, 0);
    this.stepEl.textContent = `step ${this.t}`;
  }

  // zero every cell within `radius` cells of cell (cy, cx): a disc (radius 1.5 is the
  // damage battery's 3x3 square)
  erase(cy, cx, radius) {
    const C = this.nca.C;
    for (let y = Math.floor(cy - radius); y <= cy + radius; y++) {
      for (let x = Math.floor(cx - radius); x <= cx + radius; x++) {
        if (y < 0 || y >= this.H || x < 0 || x >= this.W) continue;
        if ((y - cy) ** 2 + (x - cx) ** 2 > radius * radius) continue;
        this.x.fill(0, (y * this.W + x) * C, (y * this.W + x + 1) * C);
      }
    }
    this.draw();
  }

  cellAt(event) {
    const r = this.canvas.getBoundingClientRect();
    return [Math.floor(((event.clientY - r.top) / r.height) * this.H),
            Math.floor(((event.clientX - r.left) / r.width) * this.W)];
  }

  bindPointer() {
    let down = false;
    const erase = (e) => {
      const [cy, cx] = this.cellAt(e);
      this.erase(cy, cx, this.page.brush);
    };
    this.canvas.addEventListener("pointerdown", (e) => {
      down = true; this.canvas.setPointerCapture(e.pointerId); erase(e); e.preventDefault();
    });
    this.canvas.addEventListener("pointermove", (e) => { if (down) erase(e); });
    const up = () => { down = false; };
    this.canvas.addEventListener("pointerup", up);
    this.canvas.addEventListener("pointercancel", up);
  }

  // steps per second of this model on this machine, over `seconds` of stepping
  measure(seconds = 1) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < seconds * 1000) { this.step(1); n++; }
    return (n * 1000) / (performance.now() - t0);
  }
}

// ---------------------------------------------------------------- the page
class Page {
  constructor(specs, root) {
    this.brush = 3;
    this.stepsPerFrame = 1;
    this.running = true;
    this.panels = specs.map((s) => new Panel(s, root, this));
    this.bindControls();
    this.last = performance.now();
    requestAnimationFrame(() => this.frame());
  }

  frame() {
    if (this.running) {
      for (const p of this.panels) {
        const t0 = performance.now();
        p.step(this.stepsPerFrame);
        const dt = performance.now() - t0;
        p.rateEl.textContent = `steps/s: ${((1000 * this.stepsPerFrame) / Math.max(dt, 1e-3)).toFixed(0)}`;
      }
    }
    requestAnimationFrame(() => this.frame());
  }

  bindControls() {
    const $ = (id) => document.getElementById(id);
    const play = $("play");
    play.onclick = () => {
      this.running = !this.running;
      play.textContent = this.running ? "pause" : "play";
    };
    $("step").onclick = () => { this.running = false; play.textContent = "play"; this.panels.forEach((p) => p.step(1)); };
    $("reset").onclick = () => this.panels.forEach((p) => p.reset());
    const brush = $("brush"), speed = $("speed");
    brush.oninput = () => { this.brush = Number(brush.value); $("brush-value").textContent = brush.value; };
    speed.oninput = () => { this.stepsPerFrame = Number(speed.value); $("speed-value").textContent = speed.value; };
  }

  pause() { this.running = false; document.getElementById("play").textContent = "play"; }

  setBrush(radius) {
    this.brush = radius;
    document.getElementById("brush").value = radius;
    document.getElementById("brush-value").textContent = radius;
  }
}

window.addEventListener("DOMContentLoaded", () => {
  window.ncaPage = new Page(window.NCA_MODELS, document.getElementById("models"));
});
