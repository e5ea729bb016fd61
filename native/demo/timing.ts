/**
 * Wall-clock and CPU time of a piece of work. The engine computes on one thread, so on an idle machine the
 * two agree; on a shared one the CPU seconds (user + system, of this process) are the load-independent
 * measure, and the demo reports both.
 */
export interface Timing<T> {
  value: T;
  seconds: number;
  cpuSeconds: number;
}

export async function timed<T>(work: () => Promise<T>): Promise<Timing<T>> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const value = await work();
  const c = process.cpuUsage(c0);
  return { value, seconds: (performance.now() - t0) / 1000, cpuSeconds: (c.user + c.system) / 1e6 };
}
