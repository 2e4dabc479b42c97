import { Command } from 'commander';
import { VERSION } from '../core/version';
import { registerCheckConfig } from './check-config';
import { registerSimulate } from './simulate';
import { registerRun } from './run';
import { registerKeygen } from './keygen';
import { registerSignModel } from './sign-model';
import { registerPki } from './pki';
import { registerBrowse } from './browse';
import { registerEvaluate } from './evaluate';
import { registerTrain } from './train';
import { registerCloudIngest } from './cloud-ingest';
import { registerQuantize } from './quantize';
import { registerReplay } from './replay';

/** Exit codes: 0 ok, 1 failure (bad config, failed run), 2 usage error (commander). */
export function buildProgram(): Command {
  const program = new Command('pdm-gateway')
    .description('Predictive-maintenance gateway: OPC-UA and Modbus in, ONNX models at the edge, SQLite store-and-forward, MQTT to the cloud.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)');
  registerRun(program);
  registerCheckConfig(program);
  registerSimulate(program);
  registerKeygen(program);
  registerSignModel(program);
  registerPki(program);
  registerBrowse(program);
  registerTrain(program);
  registerEvaluate(program);
  registerCloudIngest(program);
  registerQuantize(program);
  registerReplay(program);
  return program;
}
