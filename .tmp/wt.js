const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const fs = require('fs');
if (isMainThread) {
  const bytes = fs.readFileSync('models/cmapss-rul/model.onnx');
  const w = new Worker(__filename, { workerData: { bytes } });
  const sab = new SharedArrayBuffer(64 * 700 * 4);
  const x = new Float32Array(sab);
  for (let i = 0; i < x.length; i++) x[i] = Math.random();
  let n = 0; const N = 2000; let t0;
  w.on('message', (m) => {
    if (m === 'ready') { t0 = performance.now(); w.postMessage({ x }); return; }
    if (++n === 1) {}
    if (n < N) w.postMessage({ x }); else { const dt = performance.now() - t0; console.log('worker: us/batch', (dt * 1000 / N).toFixed(1), 'out0', m.out[0], 'cpu main+worker', process.cpuUsage()); w.terminate(); main2(bytes); }
  });
} else {
  const ort = require('onnxruntime-node');
  ort.InferenceSession.create(workerData.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 }).then((s) => {
    parentPort.postMessage('ready');
    parentPort.on('message', async ({ x }) => {
      const local = (globalThis.__l ??= new Float32Array(x.length)); local.set(x); const r = await s.run({ x: new ort.Tensor('float32', local, [64, 50, 14]) });
      const o = r[s.outputNames[0]].data;
      parentPort.postMessage({ out: o }, [o.buffer]);
    });
  });
}
async function main2(bytes) {
  const ort = require('onnxruntime-node');
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const x = new Float32Array(64 * 700); for (let i = 0; i < x.length; i++) x[i] = Math.random();
  const N = 2000; const t0 = performance.now();
  for (let i = 0; i < N; i++) await s.run({ x: new ort.Tensor('float32', x, [64, 50, 14]) });
  console.log('inline: us/batch', ((performance.now() - t0) * 1000 / N).toFixed(1));
}
