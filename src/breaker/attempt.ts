import type { FetchInit, FetchLike } from '../core/types.js';
import type { Circuit } from './state.js';

/** Count one attempt's outcome in its circuit (`probe`: the probe's start time, for a probe). */
export type Settle = (circuit: Circuit, gen: number, probe: number | undefined, init: FetchInit | undefined, response?: Response, error?: unknown) => void;

/**
 * One attempt through the breaker, settled exactly once: at its outcome, or as soon as its request
 * signal aborts (ky's timeout, the caller's abort), whichever comes first. ky rejects a timed-out
 * call before some runtimes (Deno, workerd) reject the aborted fetch, so waiting for the fetch
 * would count a timeout only after the caller has already seen it, or never for a transport that
 * ignores its signal. One object is both the state and the abort listener.
 */
class Attempt implements EventListenerObject {
	#done = false;

	constructor(
		readonly settle: Settle,
		readonly circuit: Circuit,
		readonly gen: number,
		readonly probe: number | undefined,
		readonly init: FetchInit | undefined,
		readonly signal: AbortSignal,
		readonly after?: () => void,
	) {}

	handleEvent(): void {
		this.finish(undefined, this.signal.reason);
	}

	finish(response?: Response, error?: unknown): void {
		if (!this.#done) {
			this.#done = true;
			this.signal.removeEventListener('abort', this);
			this.settle(this.circuit, this.gen, this.probe, this.init, response, error);
			this.after?.();
		}
	}
}

/** Send one attempt and count its outcome; `after` runs once it is counted. */
export const send = (settle: Settle, circuit: Circuit, probe: number | undefined, request: Request, init: FetchInit | undefined, next: FetchLike, after?: () => void): Promise<Response> => {
	const attempt = new Attempt(settle, circuit, circuit.gen, probe, init, request.signal, after);
	request.signal.addEventListener('abort', attempt);
	let sent: Promise<Response>;
	try {
		sent = next(request, init);
	} catch (error) {
		attempt.finish(undefined, error);
		return Promise.reject(error);
	}

	return sent.then((response) => {
		attempt.finish(response);
		return response;
	}, (error: unknown) => {
		attempt.finish(undefined, error);
		throw error;
	});
};
