/**
 * Base class of every error steadfetch creates. ky's own errors (`HTTPError`, `TimeoutError`,
 * `NetworkError`) are thrown as ky throws them and do not extend this class.
 */
export class SteadfetchError extends Error {
	override name: string = 'SteadfetchError';
	/** Stable machine-readable code, e.g. `CIRCUIT_OPEN`. */
	readonly code: string;
	/** Whether trying again later may succeed. */
	readonly transient: boolean;

	constructor(message: string, code: string, transient: boolean, options?: { cause?: unknown }) {
		super(message, options);
		this.code = code;
		this.transient = transient;
	}
}

/** Type guard that also works across realms (iframes, workers) by checking `code`. */
export const isSteadfetchError = (error: unknown): error is SteadfetchError =>
	error instanceof SteadfetchError
	|| (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string'
		&& typeof (error as { transient?: unknown }).transient === 'boolean');
