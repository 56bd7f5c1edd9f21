/** One stored mutation. */
export interface OutboxEntry {
	id: string;
	method: string;
	url: string;
	/** Never holds a sensitive header (Authorization, Cookie, Proxy-Authorization, `outbox.sensitiveHeaders`). */
	headers: Record<string, string>;
	/** Sent as `Idempotency-Key` on every attempt and replay. */
	idempotencyKey: string;
	/** Epoch ms. */
	createdAt: number;
	attempts: number;
	/** Epoch ms. */
	nextAttemptAt: number;
	lastError?: { code: string; status?: number; message: string };
	deadReason?: 'rejected' | 'expired' | 'max-attempts';
	/** A digest of the identity the entry was queued under (the client's `identity` option), if any; never the identity itself. */
	identity?: string;
}

/** `client.outbox`. */
export interface Outbox {
	/** Pending entries. */
	size(): Promise<number>;
	/** Pending entries, oldest first. */
	list(): Promise<OutboxEntry[]>;
	deadLetters(): Promise<OutboxEntry[]>;
	/** Replay what is due now. */
	flush(): Promise<{ sent: number; failed: number; dead: number; remaining: number }>;
	/** Move a dead letter back to pending. */
	retry(id: string): Promise<void>;
	/** Remove a pending entry or dead letter. */
	discard(id: string): Promise<void>;
}
