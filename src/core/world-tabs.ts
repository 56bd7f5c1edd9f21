import { openChannel, type Channel } from '../utils/channel.js';
import { hasTabs } from '../utils/tabs.js';
import { canParse, isObject, isToken } from '../utils/validate.js';
import type { PolicyContext } from './policy.js';

/** What the world does with what another tab or worker of the origin posted, once checked. */
export interface Hearing {
	/** A clear or a removal noted there (`Worlds` notes it here too). */
	note(note: string): void;
	/** A write delivered there: its method (a token, maybe a safe method) and absolute URL, normalized. */
	heardWrite(method: string, url: string): void;
	/** An event in every client of the name: a message that is neither (another script's, an older build's) is reported (`storage:error`). */
	tell: PolicyContext['emit'];
}

/**
 * What another tab may post as a note: one as `Worlds` makes them (a part of letters or `*`, then an identity or an id).
 * Kept bounded: an identity or an id longer than 2 048 characters (an access token used as the identity) is not kept, its
 * note stands for its part's, conservatively — a clear of that identity for a clear of the part (of everything: `*`), a
 * removal for one of every id of the part (`part#r:`, as `Worlds.note` bounds its notes) — so a clear made in another tab
 * still binds the work here, never ignored for its length.
 */
const heard = /^(\*|[a-z]+)(#[ir]:[\s\S]*)?$/i;

/** Past this length a URL heard from another tab is heard without its query (servers refuse longer paths too). */
const maxUrlLength = 8_192;

/**
 * A write another tab posted (`[method, url]`), checked as outside input: a method token of at most
 * 32 characters, and an absolute http(s) URL, normalized; else undefined. A URL over `maxUrlLength` characters
 * (a write to one was delivered all the same) is heard without its query and fragment — what the stale cache and
 * `syncInvalidation` match is its path, and what a tab keeps of it stays bounded —; one whose path is still longer is none.
 */
const writeOf = (write: unknown): [string, string] | undefined => {
	const [method, url] = Array.isArray(write) && write.length === 2 ? write as unknown[] : [];
	const href = isToken(method) && method.length <= 32 && typeof url === 'string' && /^https?:\/\//i.test(url) && canParse(url) ? new URL(url) : undefined;
	if (href && href.href.length > maxUrlLength) {
		href.search = href.hash = '';
	}

	return href && href.href.length <= maxUrlLength ? [method as string, href.href] : undefined;
};

/**
 * The worlds of each name in this page (or worker) with a channel open (`linkTabs`), and the page's mark on the notes it
 * posts. Clients of one name made apart in a page (two `createClient` calls, not `extend()`: two parts of an app) each
 * have a world of their own (src/core/world-named.ts) and share the name's store: a note one makes is told to the others
 * at once, as within one world, not a task later over the channel — else a late write of one that landed in that task
 * (a read's copy) outlived the other's `clear()` that had resolved. Made by the first channel, never at import.
 */
let page: { mark: string; names: Map<string, Set<Hearing>> } | undefined;

/**
 * The world's channel to the other tabs and workers of the origin (BroadcastChannel
 * `steadfetch:<name>:world`), where there are tabs (else undefined). What it hears is outside input:
 * a note or a write of the expected shape (`{ v: 1, note }`, `{ v: 1, write: [method, url] }`) is
 * handed to `hear`; a newer build's word (another `v`, or neither `note` nor `write`) ignored quietly; anything else
 * ignored and reported (`storage:error`, without its content). A note posted is told at once to the name's other worlds
 * in this page (`page`), which ignore it when the channel brings it (`from`: the page's mark; the other tabs note it).
 * The edge build swaps this module for world-tabs-edge.ts (no tabs there: no channel, no code to read one).
 */
export const linkTabs = (name: string, hear: Hearing): Channel | undefined => {
	if (!hasTabs()) {
		return undefined;
	}

	page ??= { mark: Math.random().toString(36).slice(2), names: new Map() };
	const { mark, names } = page;
	const here = names.get(name) ?? new Set<Hearing>();
	names.set(name, here.add(hear));
	const channel = openChannel(`steadfetch:${name}:world`, (data) => {
		const { v, note, write, from } = (isObject(data) ? data : {}) as { v?: unknown; note?: unknown; write?: unknown; from?: unknown };
		const noted = v === 1 && typeof note === 'string' && heard.test(note);
		if (noted && from !== mark) {
			hear.note(note.replace(/#(?:(r:)|i:)[\s\S]{2049,}/i, (_, removal?: string) => removal ? '#r:' : ''));
		}

		const delivered = v === 1 ? writeOf(write) : undefined;
		if (delivered) {
			hear.heardWrite(...delivered);
		} else if (!noted && (!isObject(data) || (v === 1 && (note ?? write) !== undefined))) {
			// A newer build's word (an object of another `v`, or with neither `note` nor `write`, as `isNewer` says): ignored quietly.
			hear.tell('storage:error', { part: 'world', operation: 'channel', error: new TypeError('Ignored a malformed message from another tab') });
		}
	});

	return {
		post(data) {
			const { note } = data as { note?: string };
			if (note === undefined) {
				channel?.post(data);
				return;
			}

			for (const other of here) {
				if (other !== hear) {
					other.note(note);
				}
			}

			channel?.post({ ...data as object, from: mark });
		},
		close() {
			here.delete(hear);
			if (here.size === 0 && names.get(name) === here) {
				names.delete(name);
			}

			channel?.close();
		},
	};
};
