import type { BaseEvent } from '../core/event-types.js';

/** A token refresh (`auth()`) ended: here (`shared` false), or in another tab of the origin (`shared` true). */
export interface AuthRefreshEvent extends BaseEvent<'auth:refresh'> {
	/** Whether `refresh()` succeeded (always true for `shared`: tabs tell only of successes). */
	ok: boolean;
	/** How long `refresh()` took, in ms (0 for `shared`). */
	durationMs: number;
	shared: boolean;
}
