import { cpuUse, percentile } from '../../scripts/bench/measure';

describe('benchmark arithmetic', () => {
  it('When percentiles are taken, then they are the nearest-rank values of the sample', () => {
    const sample = [15, 20, 35, 40, 50];
    expect([5, 30, 40, 50, 100].map((p) => percentile(sample, p))).toEqual([15, 20, 20, 35, 50]);
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentile([], 99)).toBeNaN();
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect([percentile(hundred, 50), percentile(hundred, 99), percentile(hundred, 100)]).toEqual([50, 99, 100]);
  });

  it('When the stack is sampled twice, then CPU is the time each kind of process used, as a share of one core', () => {
    const before = [
      { pid: 1, name: 'api', cpuSeconds: 10, rssBytes: 0 },
      { pid: 2, name: 'worker', cpuSeconds: 5, rssBytes: 0 },
      { pid: 3, name: 'postgres', cpuSeconds: 1, rssBytes: 0 },
    ];
    const after = [
      { pid: 1, name: 'api', cpuSeconds: 15, rssBytes: 0 },
      { pid: 2, name: 'worker', cpuSeconds: 12, rssBytes: 0 },
      { pid: 3, name: 'postgres', cpuSeconds: 1.5, rssBytes: 0 },
      { pid: 4, name: 'postgres', cpuSeconds: 1.5, rssBytes: 0 }, // a backend that started meanwhile
    ];
    expect(cpuUse(before, after, 10)).toBe('worker 70%, api 50%, postgres 20%');
  });
});
