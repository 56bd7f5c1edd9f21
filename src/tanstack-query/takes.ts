import { describe } from '../utils/validate.js';

/**
 * Check a helper's argument at the call: `value` has the method `member` (a client's `get`, a
 * QueryClient's `refetchQueries`…), or is a function itself without `member`. Else a `TypeError`
 * naming the helper at once, never a failure later inside an event listener or a query.
 */
export const takes = (helper: string, value: unknown, member?: string): void => {
	if (typeof (member ? (value as Record<string, unknown> | undefined)?.[member] : value) !== 'function') {
		throw new TypeError(`\`${helper}\` needs ${member ? `an object with ${member}()` : 'a function'}; got ${describe(value)}`);
	}
};
