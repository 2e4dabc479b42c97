#!/usr/bin/env node
// An OPC-UA server (node-opcua) in its own process publishing a vibration sensor's acquisition
// blocks: Objects/1:Sensor/1:Vib (ns=1;s=Vib), a Double array of --n points, a new block every
// --tick ms: a sine of --bin cycles per block (bin * fs / n Hz) with amplitude 1, 2, 3, 1, ... in
// turn; every --bad-every-th block carries BadSensorFailure. Also 1:Speed (ns=1;s=Speed), a Double.
// Its own process because under jest node-opcua cannot encode a typed array (the test context's
// ArrayBuffer is not the host's: encodeTypedArray's `buffer instanceof ArrayBuffer` fails).
// Usage: node waveform-peer.js --port N [--n 2048] [--bin 64] [--tick 100] [--bad-every 7]
'use strict';
const { DataType, Variant, VariantArrayType, StatusCodes } = require('node-opcua');
const { arg, loopbackServer, run } = require('../../interop/peers/peer-common');

async function main() {
  const port = arg('port', 4840);
  const n = arg('n', 2048);
  const bin = arg('bin', 64);
  const tick = arg('tick', 100);
  const badEvery = arg('bad-every', 7);
  const block = (a) => Float64Array.from({ length: n }, (_, i) => a * Math.sin((2 * Math.PI * bin * i) / n));
  const server = loopbackServer(port, 'pdm-wave-pki-');
  await server.initialize();
  const ns = server.engine.addressSpace.getOwnNamespace();
  const sensor = ns.addObject({ organizedBy: server.engine.addressSpace.rootFolder.objects, browseName: 'Sensor', nodeId: 'i=1000' });
  const array = (a) => new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: block(a) });
  const vib = ns.addVariable({ componentOf: sensor, browseName: 'Vib', nodeId: 's=Vib', dataType: DataType.Double, valueRank: 1, arrayDimensions: [n], value: array(1) });
  const speed = ns.addVariable({ componentOf: sensor, browseName: 'Speed', nodeId: 's=Speed', dataType: DataType.Double, value: new Variant({ dataType: DataType.Double, value: 1480 }) });
  await server.start();
  let k = 0;
  setInterval(() => {
    k++;
    const now = new Date();
    vib.setValueFromSource(array(1 + (k % 3)), badEvery > 0 && k % badEvery === 0 ? StatusCodes.BadSensorFailure : StatusCodes.Good, now);
    speed.setValueFromSource(new Variant({ dataType: DataType.Double, value: 1480 + (k % 10) }), StatusCodes.Good, now);
  }, tick);
  process.stdout.write(`listening ${port} block ${n}\nREADY\n`);
}

run(main);
