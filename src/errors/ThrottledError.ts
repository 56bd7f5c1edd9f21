import { SteadfetchError } from './SteadfetchError.js';

/**
 * `adaptiveThrottle()` refused the attempt locally, with no I/O: the scope has been rejecting much of
 * what it gets (Google SRE book, "Handling Overload"). Transient; never retried.
 */
export class ThrottledError extends SteadfetchError {
	override name = 'ThrottledError' as const;
	/** Never retried: the throttle refused the attempt to spare the origin, and a retry would ask it again at once. */
	override readonly retriable = false as const;
	/** The scope (the origin by default). */
	declare readonly scope: string;
	/** The refusal probability the attempt was refused with (0 to `maxRejectRatio`). */
	declare readonly rejectRatio: number;

	constructor(scope: string, rejectRatio: number) {
		super(`Throttled ${scope}: refusing ${Math.round(rejectRatio * 100)} % of attempts while it rejects what it gets`, 'THROTTLED', true);
		this.scope = scope;
		this.rejectRatio = rejectRatio;
	}
}
