// Periodic work asks the job queue to run it; the timers keep no process alive.
/** Calls `tick` after `firstAfterMs` (at once when 0), then every `everyMs`; keeps no process alive. */
export function startTicking(tick: () => void, everyMs: number, firstAfterMs: number): void {
  if (firstAfterMs > 0) setTimeout(tick, firstAfterMs).unref();
  else tick();
  setInterval(tick, everyMs).unref();
}
