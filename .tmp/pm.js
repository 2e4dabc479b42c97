const { Worker } = require('worker_threads');
const w = new Worker(`const { parentPort } = require('worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m.id));`, { eval: true });
const mode = process.argv[2];
const sab = new Float32Array(new SharedArrayBuffer(64 * 700 * 4 * 2));
const plain = new Float32Array(64 * 700);
let n = 0; const N = 3000; let tPost = 0; const t0 = performance.now();
function send() {
  const data = mode === 'sab' ? sab.subarray(0, 64 * 700) : mode === 'plain' ? plain : null;
  const t = performance.now();
  w.postMessage({ id: n, op: 'run', feeds: [{ name: 'x', data, dims: [64, 50, 14] }], output: 'rul' });
  tPost += performance.now() - t;
}
w.on('message', () => { if (++n < N) send(); else { console.log(mode, 'post us', (tPost * 1000 / N).toFixed(1), 'roundtrip us', ((performance.now() - t0) * 1000 / N).toFixed(1)); w.terminate(); } });
send();
