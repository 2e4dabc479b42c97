import { buildProgram } from '../../src/cli/program';

/** Runs `pdm-gateway <args>` in this process and returns what it wrote to stdout (hidden from the test log). */
export async function cliOutput(...args: string[]): Promise<string> {
  const printed: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (printed.push(String(s)), true));
  try {
    await buildProgram().parseAsync(['node', 'pdm-gateway', ...args]);
  } finally {
    spy.mockRestore();
  }
  return printed.join('');
}
