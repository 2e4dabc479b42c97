import type { SourceConfig } from '../sources/config';

/**
 * Source tag (`<sourceId>/<tagName>`) -> engineering unit, from the `units` of the OPC-UA nodes
 * and Modbus registers in the source configs (tags without one are left out).
 */
export function sourceTagUnits(sources: readonly SourceConfig[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of sources) {
    const tags = s.type === 'opcua' ? s.nodes : s.registers;
    for (const t of tags) if (t.units !== undefined && t.units !== '') out.set(`${s.id}/${t.name}`, t.units);
  }
  return out;
}

/** channel -> unit for one asset's `tags` (channel -> source tag), channels with a known unit only. */
export function channelUnits(tags: Readonly<Record<string, string>>, units: ReadonlyMap<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [ch, tag] of Object.entries(tags)) {
    const u = units.get(tag);
    if (u !== undefined) out[ch] = u;
  }
  return out;
}
