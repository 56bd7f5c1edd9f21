import type { PolicyContext } from '../core/policy.js';
import { openChannel, type Channel } from '../utils/channel.js';
import { scopes, type Scopes } from '../utils/scopes.js';
import { hasTabs } from '../utils/tabs.js';
import { serverQuota } from './headers.js';

/** A scope's limit: its own token bucket, and what the server said. */
export interface Bucket {
	/**
	 * When the bucket's next token is due (epoch ms): each call reserves one, `1000 / perSecond` ms
	 * after the last, and may go `burst - 1` tokens ahead of it (a token bucket kept as GCRA).
	 */
	due: number;
	/** No request before this time (epoch ms): the server said its quota is spent. */
	blockedUntil: number;
	waits: number;
}

/**
 * The scopes' buckets, at most `maxScopes` idle ones (`Scopes`): one with a token reserved ahead (a
 * waiter) or a server's block running is never forgotten. A server's word that its quota is spent
 * blocks the scope here and, told on the channel `steadfetch:<name>:ratelimit`, in the other tabs.
 */
export class Buckets {
	readonly #scopes: Scopes<Bucket>;
	readonly #context: PolicyContext;
	readonly #fromHeaders: boolean;
	readonly #maxResetMs: number;
	#channel: Channel | undefined;

	constructor(context: PolicyContext, fromHeaders: boolean, maxResetMs: number) {
		const { clock } = context;
		this.#scopes = scopes((): Bucket => ({ due: 0, blockedUntil: 0, waits: 0 }), ({ due, blockedUntil }) => Math.max(due, blockedUntil) > clock.now());
		this.#context = context;
		this.#fromHeaders = fromHeaders;
		this.#maxResetMs = maxResetMs;
	}

	/** A scope's bucket, made when missing. */
	scope(name: string): Bucket {
		return this.#scopes.scope(name);
	}

	/** A scope's bucket if it is known (`stats()`). */
	get(name: string): Bucket | undefined {
		return this.#scopes.get(name);
	}

	/** What an answer says of the scope's quota (its bucket looked up again: the call may have outlived it). */
	learn(scope: string, response: Response): void {
		const now = this.#context.clock.now();
		const said = this.#fromHeaders ? serverQuota(response, now) : undefined;
		if (said && said.remaining < 1) {
			const bucket = this.scope(scope);
			bucket.blockedUntil = Math.max(bucket.blockedUntil, now + Math.min(said.resetMs, this.#maxResetMs));
			this.#channel?.post({ v: 1, scope, blockedUntil: bucket.blockedUntil });
		}
	}

	/** Another tab's word that a scope's quota is spent: validated, and bounded by `maxResetMs` from now. */
	#receive(data: unknown): void {
		const { v, scope: other, blockedUntil } = (data ?? {}) as { v?: unknown; scope?: unknown; blockedUntil?: unknown };
		if (v === 1 && typeof other === 'string' && other.length <= 2048 && typeof blockedUntil === 'number' && Number.isFinite(blockedUntil)) {
			const now = this.#context.clock.now();
			const bucket = this.scope(other);
			bucket.blockedUntil = Math.max(bucket.blockedUntil, Math.min(blockedUntil, now + this.#maxResetMs));
		}
	}

	/** Open the channel to the other tabs: `share`, else where there are tabs. */
	start(share: boolean | undefined): void {
		if (share === true || (share === undefined && hasTabs())) {
			this.#channel = openChannel(`steadfetch:${this.#context.name}:ratelimit`, (data) => this.#receive(data));
		}
	}

	close(): void {
		this.#channel?.close();
		this.#channel = undefined;
	}
}
