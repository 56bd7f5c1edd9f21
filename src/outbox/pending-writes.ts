import type { Channel } from '../utils/channel.js';
import { linkPendingTabs } from './pending-tabs.js';

/**
 * `url`'s percent-encodings as RFC 3986 6.2.2 normalises them (cache/keys.ts `normalised`, not imported: the dist's
 * chunks): a write to `/todos/~` is one to `/todos/%7E`; `/todos/a%2Fb` stays apart from `/todos/a/b`. Also what
 * `coalesce` compares (queue.ts).
 */
export const normalised = (url: string): string => url.includes('%') ? url.replace(/%[\da-f]{2}/gi, (code) => {
	const char = String.fromCharCode(Number.parseInt(code.slice(1), 16));
	return /[\w.~-]/.test(char) ? char : code.toUpperCase();
}) : url;

/**
 * Past this many pending entries known, or the `maxEntries` of an outbox counting with it when more (`most`), the oldest
 * notes go (a count may then read low, never the store): the notes of other tabs stay bounded.
 */
const maxKnown = 10_000;

/** Past this length a URL is known by its length and a hash (`laneOf`): what is kept of one stays bounded. */
const maxUrl = 8_192;

/**
 * The lane of identity digest `who`'s writes to `url` (its percent-encodings normalised): `<who>\n<URL>`. A URL over
 * `maxUrl` characters (any length is a write every tab counts) is known by its length and a 64-bit hash of it (two
 * 32-bit FNV-1a lanes): bounded however long, and two URLs share a lane only if equally long and of one hash
 * (about 2⁻⁶⁴ for two URLs; a count is a hint shown on a stale answer, never what a write does).
 */
const laneOf = (who: string | undefined, url: string): string => {
	const text = normalised(url);
	let [a, b] = [0x811c9dc5, 0x1b873593];
	for (let at = 0; text.length > maxUrl && at < text.length; at++) {
		a = Math.imul(a ^ text.charCodeAt(at), 0x01000193);
		b = Math.imul(b ^ text.charCodeAt(at), 0x5bd1e995);
	}

	return `${who ?? ''}\n${text.length > maxUrl ? `#${text.length}:${a >>> 0}:${b >>> 0}` : text}`;
};

/** What another tab may post: an entry queued (`+`, with its identity digest and URL, of any length) or gone (`-`), bounded (pending-tabs.ts checks it). */
export interface Note {
	v: 1;
	op: '+' | '-';
	id: string;
	who?: string;
	url?: string;
}

/**
 * The pending writes of this client's name, counted in memory (API.md "Read your own writes":
 * `pending-writes=N`), never by listing the store per read: learned from this client's queue (an
 * entry queued, then sent, dead, discarded or superseded) and from the other tabs of the name, which
 * post the same notes on `steadfetch:<name>:pending` (pending-tabs.ts: none in the edge build).
 * Entries queued before this client started (a reload) are counted once the outbox has read them,
 * just after its start (outbox.ts); until then a count may read low.
 */
export class PendingWrites {
	/** Each pending entry's lane: `<identity digest>\n<URL>` (its percent-encodings normalised; a long one hashed, `laneOf`). */
	readonly #lanes = new Map<string, string>();
	/** How many of `#lanes` name each lane: a stale answer's count is one lookup. */
	readonly #counts = new Map<string, number>();
	#channel: Channel | undefined;
	/** The clients of the name and store in this realm counting with it (outbox.ts): the last one's `close()` closes it. */
	users = 0;
	/** The most pending entries known: `maxKnown`, or the greatest `maxEntries` of those clients (outbox.ts), as many as they may queue. */
	most = maxKnown;

	/** `malformed`: told of a note from another tab that is not one (pending-tabs.ts). */
	constructor(name: string, malformed: () => void) {
		this.#channel = linkPendingTabs(name, (note) => this.#apply(note), malformed);
	}

	/**
	 * Entry `id` (of identity digest `who`, to `url`, of `method`) is pending: here and in the other tabs.
	 * A read the app queued (`outbox: true` on a GET) is no write: not counted.
	 */
	queued(id: string, who: string | undefined, url: string, method = ''): void {
		if (!/^(GET|HEAD|OPTIONS|TRACE|QUERY)$/.test(method)) { // core/world.ts `safeMethods` (not imported: the dist's chunks)
			this.#tell({ v: 1, op: '+', id, url, ...who !== undefined && { who } });
		}
	}

	/** Entry `id` left the pending queue (sent, dead, discarded, superseded). */
	gone(id: string): void {
		this.#tell({ v: 1, op: '-', id });
	}

	/** The pending writes of identity digest `who` to exactly `url` (its percent-encodings normalised, as each entry's). */
	count(who: string | undefined, url: string): number {
		return this.#counts.get(laneOf(who, url)) ?? 0;
	}

	/** A clear of the outbox (all, or of identity digest `who`): its writes no longer counted pending, here and in the other tabs. */
	cleared(who?: string): void {
		this.#tell({ v: 1, op: '-', id: '*', ...who !== undefined && { who } });
	}

	close(): void {
		this.#channel?.close();
		this.#channel = undefined;
		this.cleared();
	}

	#tell(note: Note): void {
		this.#apply(note);
		this.#channel?.post(note);
	}

	#apply({ op, id, who, url }: Note): void {
		if (id === '*') {
			// A clear, here or in another tab (whose entries this tab counts too): no entry id is '*'. Of one identity: its lanes only.
			for (const [entry, lane] of this.#lanes) {
				if (who === undefined || lane.startsWith(`${who}\n`)) {
					this.#forget(entry);
				}
			}

			return;
		}

		this.#forget(id); // A note repeated (or an entry queued again) counts once.
		if (op === '-') {
			return;
		}

		if (this.#lanes.size >= this.most) {
			this.#forget(this.#lanes.keys().next().value!);
		}

		const lane = laneOf(who, url ?? '');
		this.#lanes.set(id, lane);
		this.#counts.set(lane, (this.#counts.get(lane) ?? 0) + 1);
	}

	#forget(id: string): void {
		const lane = this.#lanes.get(id);
		if (lane !== undefined) {
			this.#lanes.delete(id);
			const left = this.#counts.get(lane)! - 1;
			if (left === 0) {
				this.#counts.delete(lane);
			} else {
				this.#counts.set(lane, left);
			}
		}
	}
}
