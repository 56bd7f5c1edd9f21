/**
 * Send an attempt (`next(request, init)`) and tell `ended` how it ended, once: its answer, its failure, or its abort,
 * whichever comes first. ky gives up on a timed-out attempt before some runtimes (Deno, workerd) reject its aborted
 * fetch, and a transport may ignore its signal: an attempt that counts (the breaker's, the throttle's) ends at its
 * abort, before ky's caller sees it. The abort listener goes with the attempt: a signal that outlives it (the caller's,
 * shared by many calls) must not hold the attempt, its call and their input.
 */
export const sendOnce = <Init>(next: (request: Request, init: Init) => Promise<Response>, request: Request, init: Init, ended: (response?: Response, error?: unknown) => void): Promise<Response> => {
	const { signal } = request;
	let done = false;
	const end = (response?: Response, error?: unknown): void => {
		if (!done) {
			done = true;
			signal.removeEventListener('abort', onAbort);
			ended(response, error);
		}
	};

	const onAbort = (): void => end(undefined, signal.reason);
	signal.addEventListener('abort', onAbort);
	return next(request, init).then((response) => {
		end(response);
		return response;
	}, (error: unknown) => {
		end(undefined, error);
		throw error;
	});
};
