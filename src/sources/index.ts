import type { Source } from '../core/source';
import type { Logger } from '../observability/logger';
import type { SourceConfig } from './config';
import { ModbusSource } from './modbus/modbus-source';
import { OpcuaSource } from './opcua/opcua-source';

export interface SourceDeps {
  readonly logger: Logger;
  /** The gateway's data directory (OPC-UA PKI lives in `<dataDir>/pki`). */
  readonly dataDir: string;
}

/**
 * A southbound source for one config entry. Constructing never connects; `start()` never throws
 * because the peer is unreachable: the source reports `down` with the endpoint and the reason and
 * keeps retrying with backoff and jitter.
 */
export function createSource(cfg: SourceConfig, deps: SourceDeps): Source {
  const logger = deps.logger.child({ source: cfg.id });
  switch (cfg.type) {
    case 'opcua':
      return new OpcuaSource(cfg, { logger, dataDir: deps.dataDir });
    case 'modbus':
      return new ModbusSource(cfg, logger);
  }
}

export { OpcuaSource } from './opcua/opcua-source';
export { ModbusSource } from './modbus/modbus-source';
export { formatModbusPlan } from './modbus/plan-format';
