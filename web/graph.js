// SPDX-License-Identifier: MIT
// A small traffic graph: bytes per second in and out over the last minutes,
// as two SVG lines scaled to the busiest moment shown. People would rather
// look than read; the label carries the same facts for screen readers.
import { s } from './dom.js';

const W = 140, H = 34, PAD = 2;

// points: [{t, rin, rout}] (t in seconds, rates in bytes/s); span: seconds shown.
export function trafficGraph(points, span, label) {
  const svg = s('svg', { class: 'graph', width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label },
    s('title', {}, label), s('line', { x1: 0, y1: H - PAD, x2: W, y2: H - PAD }));
  if (points.length < 1) return svg;
  const end = points[points.length - 1].t;
  const max = Math.max(1, ...points.map(p => Math.max(p.rin, p.rout)));
  const x = t => W - ((end - t) / span) * W;
  const y = v => H - PAD - (v / max) * (H - 2 * PAD);
  for (const [key, cls] of [['rin', 'in'], ['rout', 'out']]) {
    const pts = points.filter(p => end - p.t <= span).map(p => `${x(p.t).toFixed(1)},${y(p[key]).toFixed(1)}`);
    if (pts.length === 1) pts.unshift(`${(x(end) - 2).toFixed(1)},${pts[0].split(',')[1]}`);
    svg.append(s('polyline', { class: cls, points: pts.join(' '), fill: 'none', 'stroke-width': 1.5 }));
  }
  return svg;
}

export function fmtRate(bps) {
  if (bps == null) return '—';
  const u = ['B/s', 'kB/s', 'MB/s', 'GB/s'];
  let i = 0;
  while (bps >= 1000 && i < u.length - 1) { bps /= 1000; i++; }
  return `${i ? bps.toFixed(bps < 10 ? 1 : 0) : Math.round(bps)} ${u[i]}`;
}
