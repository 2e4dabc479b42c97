import type { GatewayConfig } from '../../config/schema';
import { buildPlan, type ReadRequest } from './planner';

const FC: Record<ReadRequest['area'], string> = { coil: 'FC1', discrete: 'FC2', holding: 'FC3', input: 'FC4' };

/** `check-config FILE --plan`: the reads each Modbus source makes per cycle, per unit and interval. */
export function formatModbusPlan(cfg: GatewayConfig): string {
  const lines: string[] = [];
  for (const src of cfg.sources) {
    if (src.type !== 'modbus') continue;
    const where = src.transport === 'tcp' ? `tcp://${src.host}:${src.port}` : `rtu:${src.serial?.path}`;
    const groups = buildPlan(src);
    const total = groups.reduce((n, g) => n + g.reads.length, 0);
    lines.push(`source ${src.id} (${where}): ${src.registers.length} tags in ${total} read${total === 1 ? '' : 's'} per cycle`);
    for (const g of groups) {
      const tags = g.reads.reduce((n, r) => n + r.tags.length, 0);
      lines.push(`  unit ${g.unitId} every ${g.intervalMs} ms: ${g.reads.length} request${g.reads.length === 1 ? '' : 's'}, ${tags} tag${tags === 1 ? '' : 's'}`);
      for (const r of g.reads) {
        const names = r.tags.map((t) => t.reg.name);
        const shown = names.length > 6 ? `${names.slice(0, 6).join(', ')}, ... (+${names.length - 6})` : names.join(', ');
        lines.push(`    ${FC[r.area]} ${r.area} ${r.start}..${r.start + r.count - 1} (${r.count}): ${shown}`);
      }
    }
  }
  if (lines.length === 0) lines.push('no Modbus sources');
  return `${lines.join('\n')}\n`;
}
