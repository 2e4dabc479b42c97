import { z } from 'zod';
import { gatewayConfigSchema } from './schema';

/** JSON Schema of the YAML file (what the user writes, before defaults), for editor completion. */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(gatewayConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://github.com/pdm-gateway/pdm-gateway/config/schema.json', title: 'pdm-gateway configuration' };
}

export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
