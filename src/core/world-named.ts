import { held } from '../utils/held.js';
import { hasTabs } from '../utils/tabs.js';

/**
 * What each name's clients share where there are no tabs, held weakly: clients made apart
 * (`createClient` twice, `create()`) with one name persist to the same records when they share a
 * store (`store: () => shared`, a database), so a clear or a discard made through either binds the
 * work of both, as across `extend()`. (Of one name but not one store, a clear through either ends
 * the other's late writes too: conservative, nothing is handed over.)
 */
const named = new Map<string, { deref(): object | undefined }>();

/**
 * The `Worlds` (src/core/world.ts) of the clients of `name` made apart: the one a client of the name
 * still holds, else `make()`'s. Where there are tabs (a page, a worker), a new one each time: the
 * clients made apart hear each other's delivered writes as tabs do, over the channel (it reaches every other one), and
 * each other's clears and removals at once (src/core/world-tabs.ts). The
 * browser build swaps this module for world-named-browser.ts (a browser context always has tabs).
 */
export const ofName = <T extends object>(name: string, make: () => T): T => {
	if (hasTabs()) {
		return make();
	}

	const worlds = (named.get(name)?.deref() as T | undefined) ?? make();
	if (named.size >= 256) {
		// Names whose clients are all gone leave nothing behind (a server that names a client per tenant).
		for (const [each, ref] of named) {
			if (!ref.deref()) {
				named.delete(each);
			}
		}
	}

	named.set(name, held(worlds));
	return worlds;
};
