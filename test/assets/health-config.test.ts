import { parseConfig } from '../../src/config/load';
import { ConfigError, formatIssue } from '../../src/core/errors';

function problems(health: string): string[] {
  const yaml = `gateway: { id: gw1, site: plant }
sources:
  - { id: plc, type: modbus, host: 127.0.0.1, registers: [{ name: a, address: 0 }] }
assets:
  - id: p1
    tags: { a: plc/a }
    window: { type: count, size: 4 }
    health: ${health}
`;
  try {
    parseConfig(yaml, 'test.yaml', {});
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map(formatIssue);
    throw e;
  }
  return [];
}

describe('asset health limits are checked with the config, not at every window', () => {
  it('refuses a clearThreshold above the threshold, naming the path and the fix', () => {
    expect(problems('{ threshold: 1, clearThreshold: 1.5 }')).toEqual([
      'assets[0].health.clearThreshold: clearThreshold 1.5 is above threshold 1: the alarm would never clear; set clearThreshold at or under threshold (hysteresis: raise above threshold, clear under clearThreshold) (line 8, column 45)',
    ]);
  });

  it('refuses a RUL alarm limit above the warning limit', () => {
    expect(problems('{ rulWarn: 20, rulAlarm: 30 }')).toEqual([
      'assets[0].health.rulAlarm: rulAlarm 30 is above rulWarn 20: set rulAlarm at or under rulWarn (the alarm limit is the lower remaining life) (line 8, column 38)',
    ]);
  });

  it('accepts equal limits, and rulUnitMs', () => {
    expect(problems('{ threshold: 1, clearThreshold: 1, rulWarn: 20, rulAlarm: 20, rulUnitMs: 250 }')).toEqual([]);
  });
});
