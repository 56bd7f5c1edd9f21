import type { PolicyContext } from '../core/policy.js';
import { storageError } from '../core/part-store.js';
import { isNewer, openChannel } from '../utils/channel.js';
import type { Scopes } from '../utils/scopes.js';
import { hasTabs } from '../utils/tabs.js';
import { isNonNegativeInteger } from '../utils/validate.js';
import { BucketWindow } from '../utils/window.js';
import type { Scope } from './counts.js';

/** What a scope's counts share with the other tabs of the client's name (`Scope.tabs`, made when first needed). */
export interface TabCounts {
	/** What the other tabs told, counted when it arrived. */
	readonly heard: BucketWindow;
	/** Counted since the last message to the other tabs. */
	requests: number;
	accepts: number;
	/** The second (of the clock, `tellMs`) the other tabs' counts were last heard in, and the attempts they told in it. */
	second: number;
	got: number;
	/** When the last message to the other tabs went (epoch ms), and the timer of the next one. */
	told: number;
	timer: ReturnType<typeof setTimeout> | undefined;
}

/** The throttle's channel to the other tabs of the client's name (`linkTabs`). */
export interface TabLink {
	/** Tell the other tabs of an attempt counted here: now, or when a second has passed since the last message. */
	count(scope: Scope, accepted: boolean): void;
	/** The channel closes; no message waits to go (what was counted since the last one goes with the next link's first). */
	close(): void;
}

/** The longest a tab waits to tell the others what it counted, in ms: one message per scope at most this often. */
const tellMs = 1000;
/** The most attempts another tab may tell of in one message (a second's worth): more is malformed; the other tabs together, a second. */
const maxTold = 100_000;
/** Scopes another tab's message may add (a tab learns a scope before its first call to it). */
const maxHeard = 64;

/**
 * The counts told to the other tabs of the client's name and heard from them (BroadcastChannel
 * `steadfetch:<name>:throttle`, at most a message per scope a second; heard, at most `maxTold` attempts of a scope a
 * second whatever the number of messages), where there are tabs and a
 * channel; else `undefined`. The `workerd`/`deno`/`edge-light` build has `tabs-edge.ts` instead (no
 * tabs there): no receiver of another tab's counts.
 */
export const linkTabs = (context: PolicyContext, scopes: Scopes<Scope>, windowMs: number): TabLink | undefined => {
	const tabsOf = (scope: Scope): TabCounts => {
		scope.tabs ??= { heard: new BucketWindow(windowMs), requests: 0, accepts: 0, second: 0, got: 0, told: 0, timer: undefined };
		return scope.tabs;
	};

	/**
	 * Another tab's counts, for a scope this client knows or a new one while it knows fewer than
	 * `maxHeard`; anything malformed (a scope name over 8 192 characters too: the bound of every scope, as the breaker's
	 * records and the rate limiter's messages, so a `scope` function naming URLs is heard) is ignored and reported, without
	 * its content; a newer build's word (an object with a `v`, or without `requests`) is ignored quietly.
	 */
	const receive = (data: unknown): void => {
		const { v, scope, requests, accepts } = (data ?? {}) as Record<string, unknown>;
		// This build's counts carry no `v`: counts with one are a newer build's (they may count otherwise), never added.
		if (v === undefined && typeof scope === 'string' && scope.length <= 8192 && isNonNegativeInteger(requests) && requests <= maxTold && isNonNegativeInteger(accepts) && accepts <= requests) {
			const known = scopes.get(scope) !== undefined || scopes.size < maxHeard ? tabsOf(scopes.scope(scope)) : undefined;
			const now = context.clock.now();
			const second = Math.floor(now / tellMs);
			// At most `maxTold` attempts a second of a scope, whatever the number of messages (any script of the origin can
			// post them): past that, the second's messages are dropped (quietly: well-formed).
			if (known) {
				known.got = (known.second === second ? known.got : 0) + requests;
				known.second = second;
				if (known.got <= maxTold) {
					known.heard.add(now, 0, requests);
					known.heard.add(now, 1, accepts);
				}
			}
		} else if (!isNewer(data, ({ v, requests }) => v === undefined && requests !== undefined)) {
			storageError(context, 'throttle', 'channel', new TypeError('Ignored a malformed throttle message from another tab'));
		}
	};

	const channel = hasTabs() ? openChannel(`steadfetch:${context.name}:throttle`, receive) : undefined;
	if (!channel) {
		return undefined;
	}

	/** Send what a scope counted since its last message to the other tabs. */
	const post = (scope: Scope, tabs: TabCounts): void => {
		tabs.timer = undefined;
		tabs.told = context.clock.now();
		channel.post({ scope: scope.name, requests: tabs.requests, accepts: tabs.accepts });
		tabs.requests = 0;
		tabs.accepts = 0;
	};

	return {
		count(scope, accepted) {
			const tabs = tabsOf(scope);
			tabs.requests++;
			tabs.accepts += Number(accepted);
			// A message already waits to go: it will carry this count too.
			if (tabs.timer === undefined) {
				// At most `tellMs` away: a clock that stepped back since the last message (told later than now) holds none longer.
				const wait = Math.min(tabs.told + tellMs - context.clock.now(), tellMs);
				if (wait <= 0) {
					post(scope, tabs);
				} else {
					tabs.timer = setTimeout(post, wait, scope, tabs);
				}
			}
		},
		close() {
			channel.close();
			// No message waits: a link opened later (a client of the family started after) tells what is counted then, and
			// the scope may be forgotten again (`Counts`: one with a message waiting is kept).
			for (const [, { tabs }] of scopes.entries()) {
				if (tabs) {
					clearTimeout(tabs.timer);
					tabs.timer = undefined;
				}
			}
		},
	};
};
