const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');
const fs = require('fs');
const INFL = +process.argv[2] || 2;
if (isMainThread) {
  const bytes = fs.readFileSync('models/cmapss-rul/model.onnx');
  const w = new Worker(__filename, { workerData: { bytes } });
  const bufs = Array.from({ length: INFL }, () => { const x = new Float32Array(64 * 700); for (let i = 0; i < x.length; i++) x[i] = Math.random(); return x; });
  let n = 0, sent = 0; const N = 3000; let t0, c0;
  w.on('message', (m) => {
    if (m === 'ready') { t0 = performance.now(); c0 = process.cpuUsage(); for (let i = 0; i < INFL; i++) { const x = bufs.pop(); w.postMessage({ x }, [x.buffer]); sent++; } return; }
    n++; bufs.push(m.x);
    if (sent < N) { const x = bufs.pop(); w.postMessage({ x }, [x.buffer]); sent++; }
    if (n === N) { const dt = performance.now() - t0; const c = process.cpuUsage(c0); console.log(`inflight ${INFL}: us/batch`, (dt * 1000 / N).toFixed(1), 'cpu us/batch (all threads)', ((c.user + c.system) / N).toFixed(1)); w.terminate(); main2(bytes); }
  });
} else {
  const ort = require('onnxruntime-node');
  ort.InferenceSession.create(workerData.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 }).then((s) => {
    parentPort.postMessage('ready');
    parentPort.on('message', ({ x }) => {
      const r = s.handler ? null : null;
      s.run({ x: new ort.Tensor('float32', x, [64, 50, 14]) }).then((r) => {
        const o = r[s.outputNames[0]].data;
        parentPort.postMessage({ out: o, x }, [o.buffer, x.buffer]);
      });
    });
  });
}
async function main2(bytes) {
  const ort = require('onnxruntime-node');
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const x = new Float32Array(64 * 700); for (let i = 0; i < x.length; i++) x[i] = Math.random();
  const N = 3000; const t0 = performance.now(); const c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) await s.run({ x: new ort.Tensor('float32', x, [64, 50, 14]) });
  const c = process.cpuUsage(c0);
  console.log('inline: us/batch', ((performance.now() - t0) * 1000 / N).toFixed(1), 'cpu', ((c.user + c.system) / N).toFixed(1));
}
