// What every benchmark measures the same way: percentiles, a process's CPU and memory, and result lines that say
// whether the test suite shared the machine while they were taken.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const round = (x: number, digits = 1): number => +x.toFixed(digits);

export const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Current and peak resident memory of a running process; undefined once it has exited. */
export function memory(pid: number): { rssMb: number; peakRssMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]);
    return { rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return undefined;
  }
}

/** User plus system CPU seconds a running process has used; undefined once it has exited. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(stat[11]) + Number(stat[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Numbers taken while the test suite runs on the same two cores are distorted: start() looks for vitest every
 * 2 s, each result line says if it was seen since the previous one, and stop() reports whether it ever was.
 */
export function resultLog(): { start(): void; log(result: Record<string, unknown>): void; stop(): void } {
  let seen = false;
  let everSeen = false;
  let timer: NodeJS.Timeout | undefined;
  const probe = (): void => {
    if (spawnSync('pgrep', ['-f', 'vitest']).status === 0) seen = everSeen = true;
  };
  const log = (result: Record<string, unknown>): void => {
    console.log(JSON.stringify(seen ? { ...result, vitestRunning: true } : result));
    seen = false;
  };
  return {
    start() {
      probe();
      timer = setInterval(probe, 2000).unref();
    },
    log,
    stop() {
      clearInterval(timer);
      log({ vitestRunningDuringBench: everSeen });
    },
  };
}
