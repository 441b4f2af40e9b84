// Summarises a V8 CPU profile (`node --cpu-prof`, e.g. BENCH_CPU_PROF=DIR node bench/run.mjs --only accept):
// the functions with the most self time, and self time grouped by where the code lives.
//   node bench/profile-summary.mjs FILE.cpuprofile [TOP]
import { readFileSync } from 'node:fs';

/** @typedef {{ functionName: string, url: string, lineNumber: number }} CallFrame */
/** @typedef {{ id: number, callFrame: CallFrame, children?: number[] }} ProfileNode */
/**
 * The parts of a V8 CPU profile (.cpuprofile) read here.
 * @typedef {{ nodes: ProfileNode[], samples: number[], timeDeltas: number[] }} Profile
 */

const profile = /** @type {Profile} */ (JSON.parse(readFileSync(/** @type {string} */ (process.argv[2]), 'utf8')));
const top = Number(process.argv[3] ?? 25);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
// Sample i lasted timeDeltas[i + 1] (the delta to the next sample); the last sample's length is unknown.
for (let i = 0; i < profile.samples.length - 1; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + profile.timeDeltas[i + 1]);

/** @param {string} url */
function where(url) {
  if (!url) return '(native / V8)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1];
  if (url.startsWith('node:')) return 'node core';
  const d = /\/dist\/([^/]+)\//.exec(url);
  return d ? `otpgate ${d[1]}/` : url;
}

const functions = new Map();
const places = new Map();
let total = 0;
let idle = 0;
for (const [id, us] of self) {
  const { callFrame } = /** @type {ProfileNode} */ (byId.get(id));
  total += us;
  if (callFrame.functionName === '(idle)') {
    idle += us;
    continue;
  }
  const key = `${callFrame.functionName || '(anonymous)'} ${callFrame.url ? `${callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${callFrame.lineNumber + 1}` : ''}`;
  functions.set(key, (functions.get(key) ?? 0) + us);
  const place = ['(garbage collector)', '(program)'].includes(callFrame.functionName) ? callFrame.functionName : where(callFrame.url);
  places.set(place, (places.get(place) ?? 0) + us);
}
const busy = total - idle;
const pct = (/** @type {number} */ us) => `${((us / busy) * 100).toFixed(1).padStart(5)} %`;
console.log(`profile ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (${((busy / total) * 100).toFixed(0)} %); shares of busy time\n`);
console.log('self time by place:');
for (const [place, us] of [...places].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(us)}  ${place}`);
console.log(`\ntop ${top} functions by self time:`);
for (const [fn, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(us)}  ${fn}`);

// Inclusive time: each sample counts once for every distinct function on its stack (where the time goes
// below a hook, a handler or a store call).
const parent = new Map();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map();
for (const [id, us] of self) {
  if (/** @type {ProfileNode} */ (byId.get(id)).callFrame.functionName === '(idle)') continue;
  const seen = new Set();
  for (let at = id; at !== undefined; at = parent.get(at)) {
    const { callFrame } = /** @type {ProfileNode} */ (byId.get(at));
    if (!callFrame.url || callFrame.functionName === '(root)') continue;
    const key = `${callFrame.functionName || '(anonymous)'} ${callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${callFrame.lineNumber + 1}`;
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}
console.log(`\ntop ${top * 2} functions by inclusive time:`);
for (const [fn, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top * 2)) console.log(`  ${pct(us)}  ${fn}`);
