/**
 * `npm run bench -- <name> [args]` runs bench/<name>.ts (compiled to dist/bench). Each bench
 * exports `main(args)` that prints its progress and returns its figures; this runner prints them
 * as the last line, one JSON object, so results can be collected by scripts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export type BenchMain = (args: string[]) => Promise<Record<string, unknown>>;

async function run(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const available = readdirSync(__dirname)
    .filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.startsWith('_'))
    .map((f) => f.replace(/\.js$/, ''));
  if (!name || !available.includes(name)) {
    process.stderr.write(`usage: npm run bench -- <name> [args]\navailable: ${available.join(', ')}\n`);
    process.exit(2);
  }
  const file = join(__dirname, `${name}.js`);
  if (!existsSync(file)) throw new Error(`bench ${name} not built: run npm run build`);
  const mod = (await import(file)) as { main: BenchMain };
  const figures = await mod.main(args);
  process.stdout.write(`${JSON.stringify({ bench: name, date: new Date().toISOString(), ...figures })}\n`);
  process.exit(0);
}

run().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
