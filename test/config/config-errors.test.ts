import { parseConfig } from '../../src/config/load';
import { ConfigError, formatIssue } from '../../src/core/errors';

const HEAD = 'gateway: { id: gw1, site: plant }\n';

function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(yaml, 'test.yaml', env);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map(formatIssue);
    throw e;
  }
  throw new Error('config was accepted');
}

const modbus = (reg: string) => `${HEAD}sources:
  - id: plc1
    type: modbus
    host: 10.0.0.5
    registers:
      - { name: a, address: 0, type: float32 }
      - ${reg}
`;

describe('config errors name the path, the expectation and the line', () => {
  it('1. misspelt register type lists the allowed types', () => {
    expect(problems(modbus('{ name: b, address: 2, type: in16 }'))).toEqual([
      'sources[0].registers[1].type: expected one of bool, int16, uint16, int32, uint32, int64, uint64, float32, float64, string, bit, got "in16" (line 8, column 38)',
    ]);
  });

  it('2. unknown key is an error with a did-you-mean hint', () => {
    expect(problems(`${HEAD}outbox: { maxBytess: 1000000 }\n`)).toEqual(['outbox.maxBytess: unknown key (did you mean "maxBytes"?) (line 2, column 11)']);
  });

  it('3. unknown key without a near match says only that', () => {
    expect(problems(`${HEAD}colour: blue\n`)).toEqual(['colour: unknown key (line 2, column 1)']);
  });

  it('4. YAML syntax error gives line and column', () => {
    expect(problems('gateway:\n  id: gw1\n   site: x\n')).toEqual([
      '(yaml): Nested mappings are not allowed in compact mappings (line 2, column 7)',
      '(yaml): Implicit keys need to be on a single line (line 2, column 7)',
    ]);
  });

  it('5. missing required section', () => {
    expect(problems('sources: []\n')).toEqual(['gateway: required object is missing']);
  });

  it('6. unknown source type lists the types', () => {
    expect(problems(`${HEAD}sources:\n  - { id: s, type: profinet }\n`)).toEqual([
      'sources[0].type: expected one of opcua, modbus, got "profinet" (line 3, column 20)',
    ]);
  });

  it('7. endpoint that is not opc.tcp', () => {
    expect(problems(`${HEAD}sources:\n  - id: s\n    type: opcua\n    endpoint: http://plc:4840\n    nodes: [{ name: a, nodeId: "ns=1;i=1" }]\n`)).toEqual([
      'sources[0].endpoint: expected an opc.tcp://host:port URL, got "http://plc:4840" (line 5, column 15)',
    ]);
  });

  it('8. out-of-range Modbus address', () => {
    expect(problems(modbus('{ name: b, address: 70000 }'))).toEqual(['sources[0].registers[1].address: expected at most 65535, got 70000 (line 8, column 29)']);
  });

  it('9. string register without length', () => {
    expect(problems(modbus('{ name: b, address: 2, type: string }'))).toEqual(['sources[0].registers[1].length: type string needs length (registers) (line 8, column 9)']);
  });

  it('10. missing environment variable names the variable and the path', () => {
    expect(problems(`${HEAD}uplink:\n  url: mqtts://broker:8883\n  password: \${MQTT_PASSWORD}\n`)).toEqual([
      'uplink.password: environment variable MQTT_PASSWORD is not set (set it, or write ${MQTT_PASSWORD:-default}) (line 4, column 13)',
    ]);
  });

  it('11. asset referring to a tag no source defines', () => {
    expect(problems(`${modbus('{ name: b, address: 2 }')}assets:\n  - id: m1\n    tags: { x: plc1/nope }\n    window: { size: 1000 }\n`)).toEqual([
      'assets[0].tags.x: unknown tag "plc1/nope": no source defines it (line 11, column 16)',
    ]);
  });

  it('12. duplicate source ids', () => {
    const y = `${HEAD}sources:\n  - { id: a, type: modbus, host: h, registers: [{ name: r, address: 0 }] }\n  - { id: a, type: modbus, host: h, registers: [{ name: r, address: 0 }] }\n`;
    expect(problems(y)).toEqual(['sources[1].id: duplicate source id "a" (line 4, column 11)']);
  });

  it('13. wrong value type', () => {
    expect(problems(`${HEAD}observability: { http: { port: "eighty" } }\n`)).toEqual(['observability.http.port: expected number, got "eighty" (line 2, column 32)']);
  });

  it('14. a part that is not in this release is refused, not silently ignored', () => {
    expect(problems(`${HEAD}scada: { enabled: true }\n`)).toEqual(['scada.enabled: the SCADA OPC-UA server is not in this release yet; set scada.enabled: false (line 2, column 19)']);
  });

  it('reports every problem at once, not just the first', () => {
    const y = `${HEAD}outbox: { maxBytess: 1 }\nscada: { port: 0 }\n`;
    expect(problems(y)).toHaveLength(2);
  });
});

describe('good config', () => {
  it('applies defaults and substitutes environment variables', () => {
    const cfg = parseConfig(`${HEAD}uplink:\n  url: mqtts://broker:8883\n  username: gw1\n  password: \${PW}\n  clientId: \${CID:-pdm-gw1}\n`, 't.yaml', { PW: 's3cret' });
    expect(cfg.uplink?.password).toBe('s3cret');
    expect(cfg.uplink?.clientId).toBe('pdm-gw1');
    expect(cfg.uplink?.qos).toBe(1);
    expect(cfg.outbox.maxBytes).toBe(512 * 1024 * 1024);
    expect(cfg.observability.http.host).toBe('127.0.0.1');
    expect(cfg.scada.allowAnonymous).toBe(false);
  });
});
