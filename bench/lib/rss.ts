import { readFileSync } from 'node:fs';

/** A process's resident set size, in kB, from /proc (Linux). */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** Samples the process's RSS every few milliseconds while `work` runs; returns the peak. */
export async function peakRssDuring<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peakKb: number }> {
  let peakKb = rssKb(pid);
  const timer = setInterval(() => {
    peakKb = Math.max(peakKb, rssKb(pid));
  }, 5);
  try {
    const result = await work();
    peakKb = Math.max(peakKb, rssKb(pid));
    return { result, peakKb };
  } finally {
    clearInterval(timer);
  }
}
