import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ConfigError, formatIssue } from '../core/errors';
import { loadConfig } from '../config/load';
import { configJsonSchemaText } from '../config/json-schema';
import { formatModbusPlan } from '../sources/modbus/plan-format';
import { checkModels } from './check-models';

export function registerCheckConfig(program: Command): void {
  program
    .command('check-config')
    .description('Validate a config file: prints "ok", or every problem with its path and line, and exits 1')
    .argument('<file>', 'YAML config file')
    .option('--plan', 'also print the Modbus request plan (reads per device per cycle)')
    .option('--models', "also load every model the assets bind, as the gateway would at start (signature, graph, each asset's channels and window): prints the version that would score or why none would, and exits 1 if one would not")
    .action(async (file: string, opts: { plan?: boolean; models?: boolean }) => {
      try {
        const loaded = loadConfig(file);
        process.stdout.write('ok\n');
        if (opts.plan) process.stdout.write(formatModbusPlan(loaded.config));
        if (opts.models) {
          const r = await checkModels(loaded);
          process.stdout.write(`${r.lines.join('\n')}\n`);
          if (!r.ok) process.exitCode = 1;
        }
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        process.stderr.write(`${file}: ${e.issues.length} problem${e.issues.length === 1 ? '' : 's'}\n`);
        for (const i of e.issues) process.stderr.write(`  ${formatIssue(i)}\n`);
        process.exitCode = 1;
      }
    });
  program
    .command('schema')
    .description('Print the JSON Schema of the config file (or write it with --out)')
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action((opts: { out?: string }) => {
      const text = configJsonSchemaText();
      if (opts.out) writeFileSync(opts.out, text);
      else process.stdout.write(text);
    });
}
