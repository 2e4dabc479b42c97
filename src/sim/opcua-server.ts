import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  AccessLevelFlag,
  DataType,
  DataValue,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  Subscription,
  Variant,
  type StatusCode,
  type UAObject,
  type UAVariable,
} from 'node-opcua';
import type { Logger } from '../observability/logger';
import { FatalError, errorMessage } from '../core/errors';
import { VERSION } from '../core/version';
import { pickFreePort } from './ports';
import { FAN_ASSET, PUMP_ASSET, SIGNALS, type SignalName, type SignalPoint } from './signals';

/**
 * node-opcua caps notifications per Publish response with a process-wide static (1000 by
 * default). The simulator is a test peer that must never be the bottleneck of a gateway benchmark,
 * so it raises the cap. The static is shared by every node-opcua server in this process.
 */
export const SIM_MAX_NOTIFICATIONS_PER_PUBLISH = 100_000;

export interface OpcuaSimOptions {
  host: string;
  port: number;
  /** Where the server keeps its self-signed certificate and trust lists. */
  pkiDir?: string;
  /** Lowest sampling interval the nodes advertise (the simulator's update interval). */
  minimumSamplingIntervalMs: number;
  /** Called with the text a client writes to `ns=1;s=Sim.Fault`; returns an error message or undefined. */
  onFaultWrite: (text: string) => string | undefined;
  /** The text `Sim.Fault` reads back (a summary of the active faults). */
  faultText: () => string;
}

export interface OpcuaSimStats {
  [k: string]: number;
  sessions: number;
  subscriptions: number;
  faultWrites: number;
  faultWritesRejected: number;
}

export function defaultPkiDir(): string {
  return join(tmpdir(), 'pdm-gateway-sim', 'pki');
}

/** The simulator's OPC-UA server: folders Pump1, Fan1 and Sim under Objects, values pushed each tick. */
export class OpcuaSimServer {
  private readonly vars = new Map<SignalName, UAVariable>();
  private readonly counters = { faultWrites: 0, faultWritesRejected: 0 };

  private constructor(
    private readonly server: OPCUAServer,
    readonly port: number,
    readonly endpointUrl: string,
    private readonly logger: Logger,
  ) {}

  static async start(opts: OpcuaSimOptions, logger: Logger): Promise<OpcuaSimServer> {
    Subscription.maxNotificationPerPublishHighLimit = Math.max(Subscription.maxNotificationPerPublishHighLimit, SIM_MAX_NOTIFICATIONS_PER_PUBLISH);
    for (let attempt = 0; ; attempt++) {
      const port = opts.port === 0 ? await pickFreePort(opts.host) : opts.port;
      try {
        return await OpcuaSimServer.listen(opts, port, logger);
      } catch (e) {
        const inUse = /EADDRINUSE/.test(errorMessage(e)) || (e as NodeJS.ErrnoException).code === 'EADDRINUSE';
        if (opts.port !== 0 || attempt >= 4 || !inUse) throw new FatalError(`simulator opcua ${opts.host}:${port}`, `cannot start: ${errorMessage(e)}`, { cause: e });
      }
    }
  }

  private static async listen(opts: OpcuaSimOptions, port: number, logger: Logger): Promise<OpcuaSimServer> {
    const certificateManager = new OPCUACertificateManager({
      rootFolder: opts.pkiDir ?? defaultPkiDir(),
      automaticallyAcceptUnknownCertificate: true, // a test peer: trust any gateway that connects
      disableFileWatchers: true,
    });
    const server = new OPCUAServer({
      port,
      host: opts.host,
      hostname: opts.host === '0.0.0.0' || opts.host === '::' ? undefined : opts.host,
      resourcePath: '',
      securityModes: [MessageSecurityMode.None, MessageSecurityMode.Sign, MessageSecurityMode.SignAndEncrypt],
      securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256, SecurityPolicy.Aes128_Sha256_RsaOaep, SecurityPolicy.Aes256_Sha256_RsaPss],
      allowAnonymous: true,
      serverCertificateManager: certificateManager,
      buildInfo: { productName: 'pdm-gateway plant simulator', manufacturerName: 'pdm-gateway', softwareVersion: VERSION },
      serverInfo: { applicationUri: 'urn:pdm-gateway:simulator', productUri: 'urn:pdm-gateway:simulator' },
      serverCapabilities: {
        maxSessions: 100,
        maxSubscriptionsPerSession: 100,
        maxMonitoredItemsPerSubscription: 100_000,
        maxMonitoredItems: 1_000_000,
      },
      maxConnectionsPerEndpoint: 100,
    });
    try {
      await server.initialize();
      const self = new OpcuaSimServer(server, port, server.getEndpointUrl(), logger);
      self.build(opts);
      await server.start();
      return self;
    } catch (e) {
      await server.shutdown(0).catch(() => undefined);
      throw e;
    }
  }

  private build(opts: OpcuaSimOptions): void {
    const addressSpace = this.server.engine.addressSpace!;
    const ns = addressSpace.getOwnNamespace();
    const objects = addressSpace.rootFolder.objects;
    const folders = new Map<string, UAObject>();
    for (const name of [PUMP_ASSET, FAN_ASSET, 'Sim']) {
      folders.set(name, ns.addFolder(objects, { nodeId: `s=${name}`, browseName: name }));
    }
    for (const s of SIGNALS) {
      const v = ns.addVariable({
        organizedBy: folders.get(s.asset)!,
        nodeId: `s=${s.name}`,
        browseName: s.browseName,
        dataType: 'Double',
        description: s.units ? `${s.browseName} [${s.units}]` : s.browseName,
        minimumSamplingInterval: opts.minimumSamplingIntervalMs,
        accessLevel: AccessLevelFlag.CurrentRead,
        userAccessLevel: AccessLevelFlag.CurrentRead,
      });
      v.setValueFromSource({ dataType: DataType.Double, value: 0 }, StatusCodes.UncertainInitialValue, new Date());
      this.vars.set(s.name, v);
    }
    ns.addVariable({
      organizedBy: folders.get('Sim')!,
      nodeId: 's=Sim.Fault',
      browseName: 'Fault',
      dataType: 'String',
      description: 'Write "cavitation:0.8", "dropout:1:Current", "valve-closed:0.5:30" (severity[:channel][:seconds]) or "none"',
      accessLevel: AccessLevelFlag.CurrentRead | AccessLevelFlag.CurrentWrite,
      userAccessLevel: AccessLevelFlag.CurrentRead | AccessLevelFlag.CurrentWrite,
      minimumSamplingInterval: 100,
      value: {
        get: () => new Variant({ dataType: DataType.String, value: opts.faultText() }),
        set: (value: Variant): StatusCode => {
          this.counters.faultWrites++;
          const text = typeof value.value === 'string' ? value.value : '';
          const err = opts.onFaultWrite(text);
          if (err === undefined) return StatusCodes.Good;
          this.counters.faultWritesRejected++;
          this.logger.warn({ text, err }, 'simulator: rejected fault written to Sim.Fault');
          return StatusCodes.BadInvalidArgument;
        },
      },
    });
  }

  /** Pushes the tick's values; a dropped-out signal keeps its last value with BadCommunicationError. */
  update(points: ReadonlyMap<SignalName, SignalPoint>): void {
    for (const [name, p] of points) {
      const v = this.vars.get(name);
      if (!v) continue;
      const status = p.quality === 'good' ? StatusCodes.Good : StatusCodes.BadCommunicationError;
      v.setValueFromSource({ dataType: DataType.Double, value: p.value }, status, new Date(p.sourceTs));
    }
  }

  /** The DataValue the server would answer for a signal (for tests and diagnostics). */
  read(name: SignalName): DataValue | undefined {
    return this.vars.get(name)?.readValue();
  }

  stats(): OpcuaSimStats {
    const engine = this.server.engine;
    return {
      sessions: engine.currentSessionCount,
      subscriptions: engine.currentSubscriptionCount,
      ...this.counters,
    };
  }

  async stop(): Promise<void> {
    await this.server.shutdown(0);
    this.logger.debug({ endpoint: this.endpointUrl }, 'simulator opcua server closed');
  }
}
