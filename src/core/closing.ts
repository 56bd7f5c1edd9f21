import { SteadfetchError } from '../errors/SteadfetchError.js';

/**
 * What a call the client's `close()` finds waiting (for a bulkhead slot, a rate-limit token, a token
 * refresh, a coordinator) is refused with: `CLIENT_CLOSED`, as a call made after it; not `ABORTED` (the caller's
 * signal, API.md), since nobody aborted it. Its message says what to do: a client closed by mistake (a
 * module-level one closed in a React effect's cleanup, which StrictMode runs on mount) is closed for good.
 */
export const clientClosed = (): SteadfetchError => new SteadfetchError('The client is closed: `close()` ends it for good, so keep one client for the life of the page or Worker', 'CLIENT_CLOSED', false);

/**
 * Whether a request's client closed (`PolicyParts.membersFor`'s `onClose`) or, with `client`, the
 * client itself: what a policy's members ask before they act (`refuseClosed`).
 */
export const closedBy = (onClose: (end: () => void) => void, client = (): boolean => false): (() => boolean) => {
	let closed = false;
	onClose(() => {
		closed = true;
	});
	return () => closed || client();
};

/** A member that would act (send, store, remove) throws `clientClosed()` once `closed()` says so: an `async` one's rejection, before any I/O. */
export const refuseClosed = (closed: () => boolean): void => {
	if (closed()) {
		throw clientClosed();
	}
};

/**
 * `wait` (an attempt's wait in a policy's layer: the breaker's stored state or coordinator, the
 * throttle's first window), refused with `clientClosed()` as soon as the policy's `close()` calls
 * what it added to `wake`: the attempt is never sent, as a bulkhead's waiter is not.
 */
export const untilClosed = <T>(wait: Promise<T>, wake: Set<() => void>): Promise<T> => new Promise((resolve, reject) => {
	const closed = (): void => reject(clientClosed());
	wake.add(closed);
	void wait.then(resolve, reject).finally(() => wake.delete(closed));
});

/**
 * What a policy's `close()` ends: the waits of its calls (for a rate-limit token, for a token
 * refresh), each refused with `clientClosed()` once the client closed. Each wait has a controller of
 * its own, made by the waiting call (`wait()`): workerd refuses an `AbortController` made in global
 * scope (where a Worker often makes its client), and one made in one request used in another.
 */
export class Closing {
	readonly #waits = new Set<AbortController>();
	#closed = false;

	/** Whether the client closed. */
	get closed(): boolean {
		return this.#closed;
	}

	/** A signal for one wait, aborted at once if the client closed, else when it closes; `done()` once the wait is over. */
	wait(): [signal: AbortSignal, done: () => void] {
		const controller = new AbortController();
		this.#waits.add(controller);
		if (this.#closed) {
			this.close();
		}

		return [controller.signal, () => this.#waits.delete(controller)];
	}

	close(): void {
		this.#closed = true;
		for (const controller of this.#waits) {
			controller.abort(clientClosed());
		}

		this.#waits.clear();
	}
}
