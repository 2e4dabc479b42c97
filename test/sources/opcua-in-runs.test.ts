import { inRuns } from '../../src/sources/opcua/opcua-limits';

describe('inRuns', () => {
  it('calls in runs of the limit, up to `end`, with each run\'s offset', async () => {
    const calls: [number[], number][] = [];
    await inRuns([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], { size: 3 }, async (run, at) => void calls.push([run, at]), 7);
    expect(calls).toEqual([[[0, 1, 2], 0], [[3, 4, 5], 3], [[6], 6]]);
  });

  it('halves a run the server refuses as too many operations, keeps the size, and rethrows anything else', async () => {
    const limit = { size: 0, onLowered: jest.fn() };
    const sizes: number[] = [];
    await inRuns(Array.from({ length: 10 }, (_, i) => i), limit, async (run) => {
      sizes.push(run.length);
      if (run.length > 3) throw new Error('serviceResult = BadTooManyOperations (0x80100000)');
    });
    expect(sizes).toEqual([10, 5, 3, 3, 3, 1]);
    expect(limit.size).toBe(3);
    expect(limit.onLowered.mock.calls).toEqual([[10, 5], [5, 3]]);
    await expect(inRuns([1, 2], { size: 0 }, async () => Promise.reject(new Error('BadTimeout')))).rejects.toThrow('BadTimeout');
  });
});
