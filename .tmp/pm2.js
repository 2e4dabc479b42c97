const { Worker } = require('worker_threads');
const w = new Worker(`const { parentPort } = require('worker_threads'); const local = new Float32Array(64*700); parentPort.on('message', (m) => { local.set(m.feeds[0].data); parentPort.postMessage(m.id); });`, { eval: true });
const mode = process.argv[2];
const mk = (n) => new Float32Array(new SharedArrayBuffer(n * 4));
const two = [mk(64 * 700), mk(64 * 700)];
let n = 0; const N = 3000; let tPost = 0; const t0 = performance.now();
function send() {
  let data;
  if (mode === 'fresh') data = mk(64 * 700);
  else if (mode === 'alt') data = two[n % 2];
  else if (mode === 'big') data = (globalThis.big ??= mk(64 * 700 * 16)).subarray(0, 64 * 700);
  const t = performance.now();
  w.postMessage({ id: n, op: 'run', feeds: [{ name: 'x', data, dims: [64, 50, 14] }], output: 'rul' });
  tPost += performance.now() - t;
}
w.on('message', () => { if (++n < N) send(); else { console.log(mode, 'post us', (tPost * 1000 / N).toFixed(1), 'roundtrip us', ((performance.now() - t0) * 1000 / N).toFixed(1)); w.terminate(); } });
send();
