const ort = require('onnxruntime-node'); const fs = require('fs');
(async () => {
  const s = await ort.InferenceSession.create(fs.readFileSync('models/cmapss-rul/model.onnx'), { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const x = new Float32Array(64 * 700); for (let i = 0; i < x.length; i++) x[i] = Math.random();
  for (let r = 0; r < 3; r++) {
    const N = 1500; const t0 = performance.now(); const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) await s.run({ x: new ort.Tensor('float32', x, [64, 50, 14]) });
    const c = process.cpuUsage(c0);
    console.log(process.argv[2], 'us/window', ((performance.now() - t0) * 1000 / N / 64).toFixed(2), 'cpu', ((c.user + c.system) / N / 64).toFixed(2));
  }
})();
