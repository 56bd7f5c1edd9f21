import type { Channel } from '../utils/channel.js';
import type { PolicyContext } from './policy.js';
import type { WaitUntil } from './options.js';
import { held } from '../utils/held.js';
import { isFallback } from './fallback.js';
import { ofName } from './world-named.js';
import { linkTabs } from './world-tabs.js';

/**
 * The world a piece of work started in (API.md "Work that outlives its caller"): who it was for,
 * and the clears and removals made since. Work that goes on after its caller was answered (a read
 * answered stale at its deadline, a write told "queued" while its attempt goes on, a hedge, the
 * background attempt of an offline read, a coordinator sync) captures one when its call starts
 * (`PolicyCall.world`, `PolicyContext.world()`) and asks it at each later write: `current(part, id)`.
 *
 * A clear or a removal is noted by whoever makes it (`PolicyContext.cleared`, `PolicyContext.removed`)
 * in the `Worlds` of the client's name and store, which every client of them shares (`extend()`): a
 * clear made through one is seen by the work of all. Noting is synchronous, before the clear's first
 * await, so work that resumes while the store is still removing already sees it. Where there are tabs,
 * each note is posted to the other tabs and workers of the origin (BroadcastChannel
 * `steadfetch:<name>:world`), which note it too: a logout in one tab binds the work of all. The clients of the
 * name made apart in the same page (each with a world of its own there) are told it at once (src/core/world-tabs.ts).
 *
 * The same channel carries each delivered write (its method and URL, sensitive query values removed,
 * never a body or a header): every client of the name, in this tab and the others, hears it and
 * emits `write:delivered` (`remote: true` when another tab or worker posted it).
 */
export interface World {
	/** The identity the work started under (`identity()` at the call's start). */
	readonly identity: string | undefined;
	/**
	 * Whether the work may still write `part`'s records (of `id`, when given): the identity is still the
	 * one it started under (for a call in a page or a worker: no read of it saw another answer since,
	 * `identities` in src/core/context.ts — alice signed out and back in is another world), and no `client.clear()`, no clear of `part` (all, or of that identity) and
	 * no removal of `id` was noted since it started. Without `part`: the identity, and no `client.clear()`
	 * of everything or of that identity — what every further attempt of the work is checked against.
	 */
	current(part?: string, id?: string): boolean;
	/**
	 * Asked by the transport as each attempt of the work goes out, after every layer's wait (a bulkhead
	 * slot, a rate-limit token): nothing to send it, or the error it is refused with (no I/O). Set by a
	 * policy that bound the work to what may be removed meanwhile: the outbox, a write told "queued" at
	 * its deadline to its entry, a replay to its entry and identity. None for most work.
	 */
	check?: (() => unknown) | undefined;
}

/**
 * Past this many identities or ids noted (and as many more as an outbox of the name holds entries: `Worlds.keep`), the
 * oldest stands for all of its part's (see `Worlds.note`): older work writes none of them (it stays safe). Never one
 * noted since the oldest work an outbox holds started (`Worlds.holding`).
 */
const maxNotes = 256;

/** The part every clear of the client notes (`client.clear()`): every part's work is checked against it. */
const all = '*';

type Emit = PolicyContext['emit'];

/**
 * A service worker's answer to a write its client delivered (`fetchHandler`, steadfetch/sw) names
 * that client in this header (`encodeURIComponent(name)`): the worker told the delivery on the
 * name's channel already, so a page's client of the same name, whose call the worker answered,
 * does not tell it a second time (it hears the worker's, `remote: true`). A page's client of another
 * name tells it: the worker's channel does not reach it.
 */
export const deliveredBy = 'steadfetch-delivered';

/** The key of a client's `name` (read by `fetchHandler`), a member no public name reaches; `Symbol.for`: one key in every bundle. */
export const clientName: unique symbol = Symbol.for('steadfetch.name');

/** Methods that change nothing (RFC 9110's safe methods, and QUERY: ky's `query()`, a read with a body): an answer to one is no delivered write. */
export const safeMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'QUERY']);

/**
 * Whether an answer to an attempt of `method` is a delivered write (API.md "Read your own writes"):
 * a method that is not safe, answered below 400 — not the `202` a service worker's outbox answers
 * for a write it queued (`Steadfetch-Outbox-Entry`; another status with it is a server's: delivered), which that worker tells once it delivers it, nor
 * a `fallback` answer (`isFallback`: the worker's client's, for a write that never reached the origin).
 * The transport's test of every answer, and `fetchHandler`'s of the writes it says it told.
 */
export const isDelivery = (method: string, response: Response): boolean =>
	response.status < 400 && !safeMethods.has(method) && !(response.status === 202 && response.headers.has('steadfetch-outbox-entry')) && !isFallback(response);

/** The clears and removals noted for the clients of one name and store, by a sequence number. */
export class Worlds {
	/** To the other tabs, while a client of this name runs where there are tabs (`connect`). */
	#channel: Channel | undefined;
	#clients = 0;
	/**
	 * The `waitUntil` of the call whose delivered write is being told (`delivered`), while the clients hear it (synchronously):
	 * what a client hands the work it does for it to (the stale cache's drop: in Workers, work with none is dropped).
	 */
	waitUntil: WaitUntil | undefined;
	/** The last sequence number given; work started at `n` sees what is noted after `n`. */
	#at = 0;
	/** A part's last clear of everything (`part`), of one identity (`part#i:identity`), removal of one id (`part#r:id`); part names hold no `#`. */
	readonly #notes = new Map<string, number>();
	/** The clients of this name and store that run, each told the delivered writes (`connect`); one gone is forgotten when met (told, or at a `connect`). */
	readonly #hearing = new Set<{ deref(): Emit | undefined }>();

	/** The sequence number of the last note: while it is the same, nothing was cleared or removed. */
	get noted(): number {
		return this.#at;
	}

	/** How many clears (of any part, all or one identity's; not removals) were noted here or heard from another tab. */
	clears = 0;

	/** How many notes are kept one by one (`maxNotes`, and `keep`). */
	#most = maxNotes;

	/**
	 * An outbox of the name may remove `entries` ids while work is in flight (its `maxEntries`: each dead letter of a full
	 * outbox discarded in turn): as many removals are kept one by one more, never taken for every id of the outbox removed
	 * (a write in flight meanwhile would count as discarded, and a write that depends on it became a dead letter).
	 */
	keep(entries: number): void {
		this.#most = Math.max(this.#most, maxNotes + entries);
	}

	/**
	 * The starts (`World`'s `start`) of work under way that asks its world of ids (an outbox's pass, a write being stored or
	 * followed to its end, the answer of one delivered early while it is kept: `Queue.hold`; a write a store did not take,
	 * while a part store keeps it: `PartStore`; each through `holdWorld`): no note made since the oldest is collapsed (`note`),
	 * however many are made — a removal of another id is never taken for one of its own.
	 */
	readonly holding: number[] = [];

	/**
	 * Capture the world now for work of `identity`; `now()` is asked at each check, and must still give `was`: the identity
	 * (a call's: the client's identity epoch as it started, `identities` in src/core/context.ts).
	 */
	open(identity: string | undefined, now: () => unknown, was: unknown = identity): World {
		return new Started(this, this.#notes, this.#at, identity, now, was);
	}

	/** A clear of `part` (every identity's, or `identity`'s) begins: work started before, in any tab, writes nothing more of it. */
	cleared(part: string | undefined, identity?: string): void {
		this.#tell(identity === undefined ? part ?? all : `${part ?? all}#i:${identity}`);
	}

	/** `id` of `part` is removed: work started before, in any tab, writes nothing more of it. */
	removed(part: string, id: string): void {
		this.#tell(`${part}#r:${id}`);
	}

	/**
	 * A write was delivered by a client of this name and store (answered below 400: at once, or by an
	 * outbox replay): every client of them hears it, and where there are tabs so do the other tabs'.
	 * `url` has its sensitive query values removed already; `waitUntil`: the delivering call's.
	 */
	delivered(method: string, url: string, waitUntil?: WaitUntil): void {
		this.waitUntil = waitUntil;
		this.tell('write:delivered', { method, url });
		this.waitUntil = undefined;
		this.#channel?.post({ v: 1, write: [method, url] });
	}

	/**
	 * A client of `name` starts: it is told the delivered writes (`write:delivered` through its `emit`)
	 * until it closes or is gone; where there are tabs, the channel to the others is open while any
	 * client of the name and store runs. Returns what its `close()` calls.
	 */
	connect(name: string, emit: Emit): () => void {
		// Held weakly: a client made by `extend()` per request and never closed is not kept alive by its name's others,
		// and what is held of those gone is let go here too (not only when a write is told): the list stays as long as the clients.
		const hearing = held(emit);
		for (const each of this.#hearing) {
			if (!each.deref()) {
				this.#hearing.delete(each);
			}
		}

		this.#hearing.add(hearing);
		this.#clients++;
		// What the other tabs post, checked as outside input there (src/core/world-tabs.ts).
		this.#channel ??= linkTabs(name, this);
		let open = true;
		return () => {
			if (open) {
				open = false;
				this.#hearing.delete(hearing);
				if (--this.#clients === 0) {
					this.#channel?.close();
					this.#channel = undefined;
				}
			}
		};
	}

	/** A write delivered in another tab (checked by src/core/world-tabs.ts): a safe method is no write. */
	heardWrite(method: string, url: string): void {
		if (!safeMethods.has(method.toUpperCase())) {
			this.tell('write:delivered', { method, url, remote: true });
		}
	}

	/** `type` in every client of the name and store still there: `write:delivered`, and a malformed message from another tab's `storage:error`. */
	tell: Emit = (type, fields) => {
		for (const hearing of this.#hearing) {
			const emit = hearing.deref();
			if (emit) {
				emit(type, fields);
			} else {
				this.#hearing.delete(hearing);
			}
		}
	};

	#tell(note: string): void {
		this.note(note);
		this.#channel?.post({ v: 1, note });
	}

	/** A clear or a removal noted: made here (`#tell`), or heard from another tab (checked by src/core/world-tabs.ts). */
	note(note: string): void {
		const notes = this.#notes;
		// Bounded: the oldest removal becomes one of every id of its part (`part#r:`), the oldest clear of an
		// identity a clear of its part, each as of when it was noted (conservative: older work writes none of
		// them) — never as of now, and a removal never a clear: work started since stays current, and work
		// in flight still writes what no removal touched (a read's stale answer, a write being queued).
		// None noted since the oldest work held started (`holding`): those are kept, however many, while it lasts (and
		// the notes past the bound then collapsed at the next note).
		const oldest = notes.size < this.#most ? 0 : this.holding.reduce((min, start) => Math.min(min, start), Infinity);
		for (const [each, at] of notes.size < this.#most ? [] : notes) {
			if (notes.size < this.#most || at > oldest) {
				break;
			}

			const [part, kind = 'r:'] = each.split('#'); // A part's own clear, or `part#r:`, stays.
			if (kind !== 'r:') {
				notes.delete(each);
				const into = kind[0] === 'r' ? `${part}#r:` : part!;
				notes.set(into, Math.max(notes.get(into) ?? 0, at));
			}
		}

		notes.set(note, ++this.#at);
		if (!note.includes('#r:')) {
			this.clears++;
		}
	}
}

/**
 * A world captured by `Worlds.open` at sequence number `start`: one object per call (every call
 * captures one as it starts), its check a method rather than closures made per call.
 */
class Started implements World {
	readonly identity: string | undefined;
	check: (() => unknown) | undefined;
	/** The `Worlds` it was captured in: while nothing was noted there since (`noted`), only the identity is asked. */
	readonly #worlds: { readonly noted: number };
	/** The notes of the `Worlds` it was captured in (their sequence numbers). */
	readonly #notes: ReadonlyMap<string, number>;
	/** The sequence number it was captured at (`Worlds.holding`). */
	readonly start: number;
	readonly #now: () => unknown;
	readonly #was: unknown;

	constructor(worlds: { readonly noted: number }, notes: ReadonlyMap<string, number>, start: number, identity: string | undefined, now: () => unknown, was: unknown) {
		this.#worlds = worlds;
		this.#notes = notes;
		this.start = start;
		this.identity = identity;
		this.#now = now;
		this.#was = was;
	}

	current(part = all, id?: string): boolean {
		return this.#now() === this.#was && (this.#worlds.noted === this.start || (!this.#cleared(all)
			&& (part === all || (!this.#cleared(part) && (id === undefined || !(this.#since(`${part}#r:${id}`) || this.#since(`${part}#r:`)))))));
	}

	/** Whether `part` was cleared since the start: all of it, or the work's identity's. */
	#cleared(part: string): boolean {
		return this.#since(part) || this.#since(`${part}#i:${this.identity ?? ''}`);
	}

	#since(note: string): boolean {
		return (this.#notes.get(note) ?? 0) > this.start;
	}
}

/**
 * The `Worlds` of the clients that share `stores` (one name and store), made by the first to ask
 * (the client as it is made, with its `name`): that of every client of the name.
 */
export const worldsOf = (stores: Map<string, unknown>, name = ''): Worlds => {
	let worlds = stores.get('#world') as Worlds | undefined;
	if (!worlds) {
		// The clients of the name made apart share it where there are no tabs (src/core/world-named.ts).
		worlds = ofName(name, () => new Worlds());
		stores.set('#world', worlds);
	}

	return worlds;
};
