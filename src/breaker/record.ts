/**
 * The shared and persisted form of one scope's breaker: a plain, versioned object, the same in the
 * store (key: the scope) and on the BroadcastChannel. Half-open is not stored: it is derived from
 * `reopensAt` when asked.
 */
export interface BreakerRecord {
	v: 1;
	scope: string;
	state: 'open' | 'closed';
	/** Epoch ms; 0 when closed. */
	openedAt: number;
	/** Epoch ms when a probe may go through; 0 when closed. */
	reopensAt: number;
	/** Opens since the last full close: the next open lasts `openMs × 2^opens` (capped). */
	opens: number;
	/** When this state began (epoch ms): the later record wins. */
	at: number;
	/** Opened by hand (`client.breaker.isolate`): open until reset. */
	isolated?: true;
}

const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** The record, or `undefined` for anything else (an unknown version, a corrupt value). */
export const decodeRecord = (value: unknown): BreakerRecord | undefined => {
	const record = value as Partial<BreakerRecord> | null;
	return typeof record === 'object' && record !== null && record.v === 1 && typeof record.scope === 'string' && record.scope.length <= 2048
		&& (record.state === 'open' || record.state === 'closed') && finite(record.openedAt) && finite(record.reopensAt)
		&& finite(record.at) && Number.isInteger(record.opens) && record.opens! >= 0
		&& (record.isolated === undefined || record.isolated === true)
		? record as BreakerRecord
		: undefined;
};
