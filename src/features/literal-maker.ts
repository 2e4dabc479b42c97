/**
 * A function `(arg) => ({ key1: expr1, key2: expr2, ... })` compiled once per distinct text and
 * shared by every caller asking for the same fields: the objects it makes are one object literal,
 * so they share one hidden class and the call sites that make and read them stay monomorphic (a
 * keyed store per field costs tens of ns each, and a maker per caller made a shape per caller).
 * Keys are quoted with JSON.stringify, so nothing but string keys enters the code; `__proto__`
 * (which a literal takes for the prototype) is refused (RangeError): build such an object by hand.
 * No library compiles object literals; this is the few lines it takes.
 */
export function literalMaker<A, R>(param: string, fields: readonly (readonly [key: string, expr: string])[]): (arg: A) => R {
  if (fields.some(([k]) => k === '__proto__')) throw new RangeError('an object literal cannot have the key __proto__');
  const code = `return { ${fields.map(([k, e]) => `${JSON.stringify(k)}: ${e}`).join(', ')} };`;
  const id = `${param}\n${code}`;
  let make = makers.get(id);
  if (!make) {
    make = new Function(param, code) as (arg: unknown) => unknown;
    makers.set(id, make);
  }
  return make as (arg: A) => R;
}

const makers = new Map<string, (arg: unknown) => unknown>();
