#!/usr/bin/env node
// An OPC-UA server (node-opcua) in its own process, for interop tests and bench/ingest.
// Usage: node opcua-peer.js --port N [--vars N] [--tick ms] [--first-id N] [--max-notifications N] [--advertise-port N]
// --advertise-port: also advertise opc.tcp://127.0.0.1:N (a server reached through a proxy or NAT).
// --report-ms N: print "STATS sessions=<n> subscriptions=<n> items=<n>" every N ms (what the server holds).
// Variables: Objects/1:Plant/1:V<i> (ns=1;s=V<i>, Double), every tick each value moves.
// Plain JS on purpose: the test runner and the bench both start it with node, no build step.
'use strict';
const { DataType, Variant, StatusCodes, Subscription } = require('node-opcua');
const { arg, loopbackServer, run } = require('./peer-common');

async function main() {
  const port = arg('port', 4840);
  const n = arg('vars', 10);
  const tick = arg('tick', 100);
  const firstId = arg('first-id', 1000);
  // node-opcua caps notifications per publish at 1000 by default: raise it for large subscriptions
  if (arg('max-notifications', 0)) Subscription.maxNotificationPerPublishHighLimit = arg('max-notifications', 0);
  const server = loopbackServer(port, 'pdm-peer-pki-', {
    serverCapabilities: { maxSessions: 20, maxMonitoredItems: 200000, maxMonitoredItemsPerSubscription: 200000 },
    maxNotificationsPerPublish: arg('max-notifications', 0) || undefined,
    advertisedEndpoints: arg('advertise-port', 0) ? [`opc.tcp://127.0.0.1:${arg('advertise-port', 0)}`] : undefined,
  });
  await server.initialize();
  const ns = server.engine.addressSpace.getOwnNamespace();
  const plant = ns.addObject({ organizedBy: server.engine.addressSpace.rootFolder.objects, browseName: 'Plant', nodeId: `i=${firstId}` });
  const vars = [];
  for (let i = 0; i < n; i++) {
    vars.push(ns.addVariable({ componentOf: plant, browseName: `V${i}`, nodeId: `s=V${i}`, dataType: DataType.Double, value: new Variant({ dataType: DataType.Double, value: i }) }));
  }
  // one numeric node that changes id when --first-id changes (renumbering servers)
  ns.addVariable({ componentOf: plant, browseName: 'Numbered', nodeId: `i=${firstId + 1}`, dataType: DataType.Double, value: new Variant({ dataType: DataType.Double, value: firstId }) });
  await server.start();
  let k = 0;
  setInterval(() => {
    k++;
    const now = new Date();
    for (let i = 0; i < vars.length; i++) {
      vars[i].setValueFromSource(new Variant({ dataType: DataType.Double, value: i + k / 1000 }), StatusCodes.Good, now);
    }
  }, tick);
  if (arg('report-ms', 0)) {
    setInterval(() => {
      const sessions = server.engine.getSessions().filter((x) => x.status === 'active');
      const items = sessions.reduce((k, x) => k + x.currentMonitoredItemCount, 0);
      process.stdout.write(`STATS sessions=${sessions.length} subscriptions=${server.engine.currentSubscriptionCount} items=${items}\n`);
    }, arg('report-ms', 0));
  }
  process.stdout.write(`listening ${port} vars ${n}\nREADY\n`);
  const stop = () => server.shutdown(0).then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

run(main);
