/**
 * Orders manifest versions (x.y.z[-pre]). Hand-rolled: the manifest schema already guarantees the
 * form, and ordering is all the registry needs, so a dependency on `semver` is not worth it.
 */
export function compareVersions(a: string, b: string): number {
  const [ma, pa] = split(a);
  const [mb, pb] = split(b);
  for (let i = 0; i < 3; i++) if (ma[i] !== mb[i]) return ma[i] - mb[i];
  if (pa === pb) return 0;
  if (pa === '') return 1; // a release sorts after its pre-releases
  if (pb === '') return -1;
  return pa < pb ? -1 : 1;
}

function split(v: string): [number[], string] {
  const dash = v.indexOf('-');
  const core = dash < 0 ? v : v.slice(0, dash);
  const pre = dash < 0 ? '' : v.slice(dash + 1);
  const nums = core.split('.').map((x) => Number.parseInt(x, 10) || 0);
  while (nums.length < 3) nums.push(0);
  return [nums, pre];
}
