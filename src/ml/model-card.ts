/** Markdown helpers for MODEL_CARD.md and docs tables. */

export function table(header: readonly string[], rows: ReadonlyArray<ReadonlyArray<string | number>>): string {
  const cell = (v: string | number): string => (typeof v === 'number' ? fmt(v) : v);
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(4);
}

export interface CardSection {
  title: string;
  body: string;
}

export function modelCard(title: string, sections: readonly CardSection[]): string {
  return `# ${title}\n\n${sections.map((s) => `## ${s.title}\n\n${s.body.trim()}\n`).join('\n')}`;
}
