/**
 * This tab's writes, each counted once, where it is now: `sent` (the server acknowledged it, at once
 * or when the outbox replayed it), `queued` (waiting in the outbox), `failed` (an error to the user,
 * or a dead letter). A replay can happen in any tab (one tab drains the outbox for all), and only
 * that tab sees its `outbox:sent` / `outbox:dead` event: it tells every tab on a BroadcastChannel,
 * and the tab that queued the write moves it.
 */
import { client } from './client.js';
import { changed, model } from './model.js';

type Where = 'queued' | 'sent' | 'failed';

const counter = { queued: 'writesQueued', sent: 'writesSent', failed: 'writesFailed' } as const;
/** This tab's writes that went to the outbox, by entry id. */
const mine = new Map<string, Where>();
const channel = new BroadcastChannel('steadfetch-playground:writes');

const move = (entryId: string, where: Where): void => {
	const from = mine.get(entryId);
	if (from === undefined || from === where) {
		return;
	}

	mine.set(entryId, where);
	model.calls[counter[from]]--;
	model.calls[counter[where]]++;
	changed();
};

/** What happened to an outbox entry, told to this tab and to the others. */
export const tell = (entryId: string, where: Where): void => {
	move(entryId, where);
	channel.postMessage({ entryId, where });
};

channel.addEventListener('message', ({ data }: MessageEvent<{ entryId: string; where: Where }>) => move(data.entryId, data.where));
client.on('outbox:sent', ({ entryId }) => tell(entryId, 'sent'));
client.on('outbox:dead', ({ entryId }) => tell(entryId, 'failed'));

/** A write of this tab went to the outbox. */
export const queued = (entryId: string): void => {
	mine.set(entryId, 'queued');
	model.calls.writesQueued++;
};

/** Forget this tab's writes (with `resetModel`). */
export const forgetWrites = (): void => {
	mine.clear();
};
