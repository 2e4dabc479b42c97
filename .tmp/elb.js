const { createSessionHost } = require('/work/main/dist/src/models/session-host.js');
const { OnnxGraphBuilder, intsAttr } = require('/work/main/dist/src/ml/onnx/index.js');
const g = new OnnxGraphBuilder('slow'); g.input('x', [-1, 1200, 1200]); g.node('MatMul', ['x', 'x'], ['y']);
g.node('ReduceMean', ['y'], ['score'], { axes: intsAttr([1, 2]), keepdims: 0 }); g.output('score', [-1]);
const bytes = g.toModelBytes({ opset: 17 });
(async () => {
  for (const thread of ['main', 'worker']) {
    const h = await createSessionHost(bytes, thread, { threads: 1 });
    const feeds = [{ name: 'x', data: h.alloc(1440000).fill(0.5), dims: [1, 1200, 1200] }];
    await h.run(feeds, 'score');
    const { monitorEventLoopDelay } = require('perf_hooks');
    const m = monitorEventLoopDelay({ resolution: 1 }); m.enable();
    const t0 = performance.now(); for (let i = 0; i < 20; i++) await h.run(feeds, 'score'); const dt = (performance.now() - t0) / 20;
    m.disable();
    console.log(thread, 'run ms', dt.toFixed(1), 'event-loop delay p50/p99/max ms', (m.percentile(50) / 1e6).toFixed(1), (m.percentile(99) / 1e6).toFixed(1), (m.max / 1e6).toFixed(1));
    await h.release();
  }
})();
