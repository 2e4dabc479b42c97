const { verifyAndLoad } = require('/work/main/dist/src/models/loader.js');
const { loadTrustedKeys } = require('/work/main/dist/src/models/signing.js');
(async () => {
  const trusted = loadTrustedKeys(['/work/main/models/trusted']).keys;
  for (const r of [1, 2, 3]) for (const thread of ['main', 'worker']) for (const id of ['cmapss-rul', 'skab-anomaly']) {
    const t0 = performance.now();
    const m = await verifyAndLoad('/work/main/models/' + id, { trusted, requireSignature: true, threads: 1, thread });
    const dt = performance.now() - t0;
    await m.release();
    console.log(r, thread, id, dt.toFixed(1), 'ms');
  }
})();
