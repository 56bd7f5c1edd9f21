/** Options of the offline outbox (`outbox`). */
export interface OutboxOptions {
	/**
	 * Methods whose calls are queued when they cannot be delivered.
	 * @default ['POST', 'PUT', 'PATCH', 'DELETE']
	 */
	methods?: string[];
	/**
	 * Most pending entries; a call beyond it is refused with `OutboxFullError` before any I/O.
	 * @default 1_000
	 */
	maxEntries?: number;
	/**
	 * Largest body of a queueable call, in bytes; a larger one is refused with `OutboxFullError`.
	 * @default 1_048_576 (1 MiB)
	 */
	maxBodyBytes?: number;
	/**
	 * How long an entry may wait for delivery, in ms; after that it becomes a dead letter (`expired`).
	 * @default 604_800_000 (7 days)
	 */
	retentionMs?: number;
	/**
	 * Replays of one entry before it becomes a dead letter (`max-attempts`).
	 * @default 20
	 */
	maxAttempts?: number;
	/**
	 * Cap of the jittered exponential backoff between replays of one entry, in ms.
	 * @default 300_000 (5 min)
	 */
	maxBackoffMs?: number;
	/**
	 * First backoff step between replays, in ms (doubled per attempt, full jitter).
	 * @default 1_000
	 */
	baseBackoffMs?: number;
	/**
	 * `'error'`: a queued call rejects with `OutboxQueuedError`. `'accepted'`: it resolves with a
	 * `202 Accepted` response whose `Steadfetch-Outbox-Entry` header and JSON body carry the entry id.
	 * @default 'error'
	 */
	queuedResponse?: 'error' | 'accepted';
	/**
	 * More headers never to store (Authorization, Cookie and Proxy-Authorization never are).
	 * @default []
	 */
	sensitiveHeaders?: string[];
}
