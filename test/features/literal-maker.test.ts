import { literalMaker } from '../../src/features/literal-maker';

describe('literalMaker', () => {
  it('makes the object of the fields, one function per distinct field list', () => {
    const make = literalMaker<{ a: number }, Record<string, number>>('st', [['x', 'st.a'], ['"y z"', '2 * st.a'], ['w', '0']]);
    expect(make({ a: 3 })).toEqual({ x: 3, '"y z"': 6, w: 0 });
    expect(Object.keys(make({ a: 1 }))).toEqual(['x', '"y z"', 'w']);
    expect(literalMaker('st', [['x', 'st.a'], ['"y z"', '2 * st.a'], ['w', '0']])).toBe(make);
    expect(literalMaker('st', [['x', 'st.a']])).not.toBe(make);
  });

  it('refuses the key __proto__, which a literal would take for the prototype', () => {
    expect(() => literalMaker('r', [['a', '1'], ['__proto__', '2']])).toThrow(new RangeError('an object literal cannot have the key __proto__'));
  });
});
