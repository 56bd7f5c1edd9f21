import { maxTimerMs } from './validate.js';

/**
 * `work`'s answer, or `undefined` when `ms` passes first (without `ms`: only `signal` ends the wait),
 * or at once when `signal` aborted (before, or while it waits); `work`'s rejection rejects. Its timer is
 * cleared when the race ends, and never keeps a Node or Deno process alive. For waits the code gives
 * up on: an app's answer (the outbox's `migrate`, `onConflict`), an estimate, a call's deadline, a
 * drain's jittered start that `close()` ends (`work` then never settles).
 */
export const within = async <T>(work: Promise<T>, ms?: number, signal?: AbortSignal): Promise<T | undefined> => {
	let timer: ReturnType<typeof setTimeout> | undefined;
	let end: (() => void) | undefined;
	try {
		return await Promise.race([work, new Promise<undefined>((resolve) => {
			end = () => resolve(undefined);
			signal?.addEventListener('abort', end);
			if (signal?.aborted || ms !== undefined) {
				// A deadline already past (`ms` below 0: its time spent before the wait) ends it at once: Node warns on stderr for a
				// negative delay (TimeoutNegativeWarning), and one past what a timer holds would fire at once too (a warning as well).
				timer = setTimeout(end, signal?.aborted ? 0 : Math.min(Math.max(0, ms!), maxTimerMs));
				(timer as { unref?: () => void }).unref?.();
			}
		})]);
	} finally {
		clearTimeout(timer);
		signal?.removeEventListener('abort', end!); // A long-lived signal (the drain's) holds no listener per wait.
	}
};
