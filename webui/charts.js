// Charts for the Archer web UI: uPlot (vendored, MIT) for time series and
// scatter plots, a small canvas drawer for parallel coordinates. Data from
// trials are drawn as numbers or canvas text, never parsed as HTML.
'use strict';

const Charts = (() => {
  const palette = ['#2c6bed', '#c23b32', '#1f8a4c', '#b7791f', '#7b3fc4', '#0f8b8d',
                   '#d1495b', '#4f6d7a', '#e07a1f', '#5c946e'];

  function width(target) {
    return Math.max(320, (target.clientWidth || target.parentElement.clientWidth || 800) - 8);
  }

  // Replaces the chart held by `target` (destroying the previous one).
  function mount(target, opts, data) {
    if (target._plot) target._plot.destroy();
    target.textContent = '';
    target._plot = new uPlot(opts, data, target);
    return target._plot;
  }

  // Every final result over time (dots) and the best so far (a step line).
  function finalResults(target, series) {
    const xs = series.time.map(t => t / 1000);
    const ys = series.value;
    const best = series.best;
    if (xs.length === 0) {
      if (target._plot) { target._plot.destroy(); target._plot = null; }
      target.textContent = 'No final results yet.';
      return;
    }
    mount(target, {
      width: width(target), height: 260,
      scales: { x: { time: true } },
      series: [
        {},
        { label: 'final result', stroke: palette[0], width: 0,
          points: { show: true, size: xs.length > 5000 ? 2 : 6, fill: palette[0] }, paths: () => null },
        { label: 'best so far', stroke: palette[2], width: 2,
          paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } },
      ],
      legend: { live: false },
    }, [xs, ys, best]);
  }

  // Intermediate results of one or more trials: lines over the step number.
  // `runs`: [{label, points: [[step, value]...], stopped}]; `stopped` (a
  // string) marks the run's last point as where it was stopped early: a red
  // cross, a dashed line and the text, drawn on the canvas.
  function intermediate(target, runs) {
    const steps = new Set();
    runs.forEach(r => r.points.forEach(p => steps.add(p[0])));
    const xs = [...steps].sort((a, b) => a - b);
    if (xs.length === 0) {
      if (target._plot) { target._plot.destroy(); target._plot = null; }
      target.textContent = 'No intermediate results.';
      return;
    }
    const data = [xs];
    const series = [{ label: 'step' }];
    runs.forEach((r, i) => {
      const at = new Map(r.points.map(p => [p[0], p[1]]));
      data.push(xs.map(x => (at.has(x) ? at.get(x) : null)));
      series.push({ label: r.label, stroke: palette[i % palette.length], width: 2,
                    spanGaps: true, points: { show: true, size: 4 } });
    });
    const marks = [];
    runs.forEach((r, i) => {
      if (r.stopped && r.points.length) {
        const last = r.points[r.points.length - 1];
        marks.push({ series: i + 1, x: last[0], y: last[1], text: r.stopped });
      }
    });
    const plot = mount(target, { width: width(target), height: 220, scales: { x: { time: false } },
                    series, axes: [{ label: 'step', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000] }, {}],
                    hooks: { draw: [u => drawStops(u, marks)] } }, data);
    target.dataset.stoppedAt = marks.map(m => m.x).join(',');
    return plot;
  }

  // The early-stop marks of intermediate(), in canvas pixels.
  function drawStops(u, marks) {
    const ctx = u.ctx;
    const dpr = window.devicePixelRatio || 1;
    for (const m of marks) {
      const x = u.valToPos(m.x, 'x', true);
      const y = u.valToPos(m.y, u.series[m.series].scale || 'y', true);
      ctx.save();
      ctx.strokeStyle = '#c23b32';
      ctx.lineWidth = 2 * dpr;
      ctx.setLineDash([4 * dpr, 3 * dpr]);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.setLineDash([]);
      const r = 5 * dpr;
      ctx.beginPath();
      ctx.moveTo(x - r, y - r); ctx.lineTo(x + r, y + r);
      ctx.moveTo(x - r, y + r); ctx.lineTo(x + r, y - r);
      ctx.stroke();
      ctx.fillStyle = '#c23b32';
      ctx.font = `${12 * dpr}px sans-serif`;
      ctx.textAlign = x > u.bbox.left + u.bbox.width / 2 ? 'right' : 'left';
      ctx.fillText(m.text, x + (ctx.textAlign === 'right' ? -8 : 8) * dpr, u.bbox.top + 14 * dpr);
      ctx.restore();
    }
  }

  // A multi-objective experiment's points, objective `xi` against `yi`: every
  // trial (dots) and the front (bigger dots joined in x order).
  // `points`: [{values: [...], front: bool}].
  function pareto(target, points, xi, yi, labels) {
    const rows = points.filter(p => Number.isFinite(p.values[xi]) && Number.isFinite(p.values[yi]))
      .sort((a, b) => a.values[xi] - b.values[xi]);
    if (rows.length === 0) {
      if (target._plot) { target._plot.destroy(); target._plot = null; }
      target.textContent = 'No trial has reported every objective yet.';
      return;
    }
    const xs = rows.map(p => p.values[xi]);
    const all = rows.map(p => (p.front ? null : p.values[yi]));
    const front = rows.map(p => (p.front ? p.values[yi] : null));
    mount(target, {
      width: width(target), height: 300, scales: { x: { time: false } },
      series: [
        { label: labels[xi] },
        { label: 'trials', stroke: palette[7], width: 0, paths: () => null,
          points: { show: true, size: 5, fill: palette[7] } },
        { label: 'Pareto front', stroke: palette[1], width: 2, spanGaps: true,
          points: { show: true, size: 8, fill: palette[1] } },
      ],
      axes: [{ label: labels[xi] }, { label: labels[yi] }],
      legend: { live: false },
    }, [xs, all, front]);
    target.dataset.front = String(front.filter(v => v !== null).length);
  }

  // The front's hypervolume after each trial (in the order they ended).
  function hypervolume(target, history) {
    if (history.length === 0) {
      if (target._plot) { target._plot.destroy(); target._plot = null; }
      target.textContent = 'No results yet.';
      return;
    }
    const xs = history.map((_, i) => i + 1);
    mount(target, {
      width: width(target), height: 200, scales: { x: { time: false } },
      series: [{ label: 'trials with results' },
               { label: 'hypervolume', stroke: palette[2], width: 2,
                 paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } }],
      axes: [{ label: 'trials with results', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000] },
             { label: 'hypervolume' }],
      legend: { live: false },
    }, [xs, history.map(h => h.hypervolume)]);
  }

  // Parallel coordinates on a canvas: one ordinal axis per search-space key
  // plus the result; a line per trial coloured from worst (light) to best.
  function parallel(canvas, pc, minimize) {
    const ctx = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height;
    ctx.clearRect(0, 0, w, h);
    const axes = pc.axes.length + 1;
    if (pc.rows.length === 0 || axes < 2) {
      ctx.fillStyle = '#6b7480';
      ctx.font = '14px sans-serif';
      ctx.fillText(axes < 2 ? 'No classic-NAS choices to draw.' : 'No finished trials yet.', 20, 30);
      return;
    }
    const top = 40, bottom = h - 30, left = 60, right = w - 60;
    const x = i => left + (right - left) * (i / (axes - 1));
    const values = pc.rows.map(r => r[pc.axes.length]);
    let lo = Math.min(...values), hi = Math.max(...values);
    if (hi === lo) { hi += 1; lo -= 1; }
    const yOrd = (k, n) => (n <= 1 ? (top + bottom) / 2 : top + (bottom - top) * (k / (n - 1)));
    const yVal = v => bottom - (bottom - top) * ((v - lo) / (hi - lo));
    const goodness = v => (minimize ? (hi - v) / (hi - lo) : (v - lo) / (hi - lo));
    // Worst first, so the best lines are drawn on top.
    const rows = pc.rows.slice().sort((a, b) =>
      goodness(a[pc.axes.length]) - goodness(b[pc.axes.length]));
    ctx.lineWidth = 1.2;
    for (const r of rows) {
      const g = goodness(r[pc.axes.length]);
      ctx.strokeStyle = `hsla(${220 - 200 * g}, 75%, ${70 - 30 * g}%, ${0.25 + 0.6 * g})`;
      ctx.beginPath();
      pc.axes.forEach((a, i) => {
        const y = yOrd(r[i], a.labels.length);
        if (i === 0) ctx.moveTo(x(i), y); else ctx.lineTo(x(i), y);
      });
      ctx.lineTo(x(axes - 1), yVal(r[pc.axes.length]));
      ctx.stroke();
    }
    ctx.strokeStyle = '#333';
    ctx.fillStyle = '#1d232b';
    ctx.font = '11px sans-serif';
    ctx.textAlign = 'center';
    pc.axes.forEach((a, i) => {
      ctx.beginPath(); ctx.moveTo(x(i), top); ctx.lineTo(x(i), bottom); ctx.stroke();
      ctx.font = 'bold 11px sans-serif';
      ctx.fillText(a.key, x(i), top - 22);
      ctx.font = '11px sans-serif';
      a.labels.forEach((label, k) => {
        ctx.fillText(label.length > 18 ? label.slice(0, 17) + '…' : label,
                     x(i), yOrd(k, a.labels.length) - 4);
      });
    });
    const xv = x(axes - 1);
    ctx.beginPath(); ctx.moveTo(xv, top); ctx.lineTo(xv, bottom); ctx.stroke();
    ctx.font = 'bold 11px sans-serif';
    ctx.fillText('result', xv, top - 22);
    ctx.font = '11px sans-serif';
    ctx.fillText(String(+hi.toPrecision(5)), xv, top - 6);
    ctx.fillText(String(+lo.toPrecision(5)), xv, bottom + 14);
  }

  return { finalResults, intermediate, pareto, hypervolume, parallel };
})();
