import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataType,
  get_mini_nodeset_filename,
  MessageSecurityMode,
  nodesets,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCode,
  StatusCodes,
  type UAObject,
  type UAVariable,
  Variant,
} from 'node-opcua';

export interface TestServerOptions {
  port: number;
  /** Numeric NodeIds start here (change it to simulate a server that renumbers its nodes). */
  firstNumericId?: number;
  securityModes?: MessageSecurityMode[];
  securityPolicies?: SecurityPolicy[];
  allowAnonymous?: boolean;
  users?: Record<string, string>;
  /** PKI folder of the server; a fresh temp folder by default. */
  pkiDir?: string;
  /** Trust every client certificate (false: untrusted clients are rejected). */
  trustClients?: boolean;
  /** Extra Double variables Pump.V0..V(n-1), for bulk tests. */
  extraVariables?: number;
  tickMs?: number;
  /** Load the standard nodeset (slower; needed for AnalogItemType and percent deadbands). */
  standardNodeset?: boolean;
  /** Per-call operation limits the server announces and enforces (BadTooManyOperations past them). */
  operationLimits?: { maxMonitoredItemsPerCall?: number; maxNodesPerRead?: number; maxNodesPerBrowse?: number; maxNodesPerTranslateBrowsePathsToNodeIds?: number };
  /** Enforce `operationLimits` but publish 0 (no limit) in ServerCapabilities, as some servers do. */
  hideOperationLimits?: boolean;
}

/**
 * A real node-opcua server on loopback with a small pump: Objects/1:Pump/1:{Pressure, Temperature,
 * Running, Count, Name, Quality}. Pressure rises by 0.1 every tick; `Quality` carries an
 * uncertain status.
 */
export class TestOpcuaServer {
  server: OPCUAServer | undefined;
  readonly vars = new Map<string, UAVariable>();
  pressure = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Adds a variable under Pump while the server runs (ns=1;s=Pump.<name>). */
  add: (name: string, dataType: DataType, value: unknown, stringId?: boolean) => void = () => {
    throw new Error('server not started');
  };
  readonly pkiDir: string;

  constructor(readonly opts: TestServerOptions) {
    this.pkiDir = opts.pkiDir ?? mkdtempSync(join(tmpdir(), 'pdm-opcua-srv-'));
  }

  get endpoint(): string {
    return `opc.tcp://127.0.0.1:${this.opts.port}`;
  }

  async start(): Promise<void> {
    const o = this.opts;
    const users = o.users;
    const server = new OPCUAServer({
      port: o.port,
      hostname: '127.0.0.1',
      nodeset_filename: [o.standardNodeset ? nodesets.standard : get_mini_nodeset_filename()],
      serverCertificateManager: new OPCUACertificateManager({ rootFolder: this.pkiDir, automaticallyAcceptUnknownCertificate: o.trustClients ?? true }),
      securityModes: o.securityModes,
      securityPolicies: o.securityPolicies,
      allowAnonymous: o.allowAnonymous ?? true,
      userManager: users ? { isValidUser: (u: string, p: string) => users[u] === p } : undefined,
      serverCapabilities: { maxSessions: 50, operationLimits: o.operationLimits },
    });
    await server.initialize();
    if (o.hideOperationLimits) hideLimits(server);
    const ns = server.engine.addressSpace!.getOwnNamespace();
    const objects = server.engine.addressSpace!.rootFolder.objects;
    let id = o.firstNumericId ?? 1000;
    const pump = ns.addObject({ organizedBy: objects, browseName: 'Pump', nodeId: `i=${id++}` });
    const add = (this.add = (name: string, dataType: DataType, value: unknown, stringId = true): void => {
      const v = ns.addVariable({
        componentOf: pump,
        browseName: name,
        nodeId: stringId ? `s=Pump.${name}` : `i=${id++}`,
        dataType,
        value: new Variant({ dataType, value }),
      });
      this.vars.set(name, v);
    });
    add('Pressure', DataType.Double, 0);
    add('Temperature', DataType.Double, 20.5);
    add('Running', DataType.Boolean, true);
    add('Count', DataType.Int32, -7);
    add('Name', DataType.String, 'P-101');
    add('Quality', DataType.Double, 1.5);
    add('Numbered', DataType.Double, 3.25, false);
    for (let i = 0; i < (o.extraVariables ?? 0); i++) add(`V${i}`, DataType.Double, i);
    // an AnalogItem with an EURange (percent deadbands need one), and a value rewritten unchanged each tick
    if (o.standardNodeset) this.vars.set('Level', ns.addAnalogDataItem({ componentOf: pump, browseName: 'Level', nodeId: 's=Pump.Level', dataType: 'Double', engineeringUnitsRange: { low: 0, high: 10 }, value: new Variant({ dataType: DataType.Double, value: 0 }) }));
    add('Steady', DataType.Double, 5);
    this.vars.get('Quality')!.setValueFromSource(new Variant({ dataType: DataType.Double, value: 1.5 }), StatusCodes.UncertainLastUsableValue);
    await server.start();
    this.server = server;
    this.timer = setInterval(() => {
      this.pressure = Math.round((this.pressure + 0.1) * 10) / 10;
      this.vars.get('Pressure')!.setValueFromSource(new Variant({ dataType: DataType.Double, value: this.pressure }), StatusCode.makeStatusCode(StatusCodes.Good));
      this.vars.get('Level')?.setValueFromSource(new Variant({ dataType: DataType.Double, value: this.pressure % 10 }));
      this.vars.get('Steady')!.setValueFromSource(new Variant({ dataType: DataType.Double, value: 5 }), StatusCodes.Good, new Date());
    }, o.tickMs ?? 50);
  }

  /**
   * Counts the service requests the server receives from now on, by type (e.g.
   * "CreateMonitoredItemsRequest"), with the number of operations each carried.
   */
  countRequests(): Map<string, number[]> {
    const seen = new Map<string, number[]>();
    this.server!.on('request', (request) => {
      const req = request as unknown as { schema: { name: string } } & Record<string, unknown>;
      const ops = ['itemsToCreate', 'nodesToRead', 'nodesToBrowse', 'browsePaths'].map((k) => req[k]).find(Array.isArray) as unknown[] | undefined;
      const list = seen.get(req.schema.name) ?? [];
      list.push(ops?.length ?? 0);
      seen.set(req.schema.name, list);
    });
    return seen;
  }

  set(name: string, dataType: DataType, value: unknown): void {
    this.vars.get(name)!.setValueFromSource(new Variant({ dataType, value }));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    const s = this.server;
    this.server = undefined;
    this.vars.clear();
    if (s) await s.shutdown(0);
  }
}

export { MessageSecurityMode, SecurityPolicy };

/** Makes the server's OperationLimits variables read 0 while its engine still enforces them. */
function hideLimits(server: OPCUAServer): void {
  const limits = server.engine.addressSpace!.findNode('ns=0;i=11704') as UAObject | null; // ServerCapabilities.OperationLimits
  for (const v of limits?.getProperties() ?? []) {
    (v as UAVariable).bindVariable({ get: () => new Variant({ dataType: DataType.UInt32, value: 0 }) }, true);
  }
}
