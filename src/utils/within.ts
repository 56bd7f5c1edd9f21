/**
 * `work`'s answer, or `undefined` when `ms` passes first (without `ms`: only `signal` ends the wait),
 * or at once when `signal` aborted (before, or while it waits); `work`'s rejection rejects. Its timer is
 * cleared when the race ends, and never keeps a Node or Deno process alive. For waits the code gives
 * up on: an app's answer (the outbox's `migrate`, `onConflict`), an estimate, a call's deadline.
 */
export const within = async <T>(work: Promise<T>, ms?: number, signal?: AbortSignal): Promise<T | undefined> => {
	let timer: ReturnType<typeof setTimeout> | undefined;
	try {
		return await Promise.race([work, new Promise<undefined>((resolve) => {
			signal?.addEventListener('abort', () => resolve(undefined));
			if (signal?.aborted || ms !== undefined) {
				timer = setTimeout(() => resolve(undefined), signal?.aborted ? 0 : ms);
				(timer as { unref?: () => void }).unref?.();
			}
		})]);
	} finally {
		clearTimeout(timer);
	}
};
