/** What the buttons do: reads and writes through the client, each outcome counted and logged. */
import { classify, isStale, OutboxQueuedError } from 'steadfetch';
import { client } from './client.js';
import { shortUrl } from './dom.js';
import { apiOrigin, cdnOrigin } from './handlers.js';
import { log, model } from './model.js';
import { updateSim } from './sim.js';
import { queued } from './writes.js';

/** How many items the reads cycle through: after one round every item is in the stale cache. */
export const itemCount = 4;
let nextItem = 0;
let nextOrder = 0;

const staleDetail = (response: Response): string =>
	/detail=([\w-]+)/.exec(response.headers.get('cache-status') ?? '')?.[1] ?? 'stale';

const get = async (url: string): Promise<void> => {
	const started = performance.now();
	const took = () => `${Math.round(performance.now() - started)} ms`;
	try {
		const response = await client.get(url);
		await response.arrayBuffer();
		if (isStale(response)) {
			model.calls.readsStale++;
			log('call', `GET ${shortUrl(url)} → stale copy, ${response.headers.get('age') ?? '?'} s old (${staleDetail(response)}) in ${took()}`, 'warn');
		} else {
			model.calls.readsFresh++;
			log('call', `GET ${shortUrl(url)} → ${response.status} fresh in ${took()}`, 'good');
		}
	} catch (error) {
		model.calls.readsFailed++;
		log('call', `GET ${shortUrl(url)} → failed: ${classify(error).code} in ${took()}`, 'bad');
	}
};

/** Read the next item (1…itemCount in turn) from the API origin. */
export const readItem = async (): Promise<void> => get(`${apiOrigin}/items/${(nextItem++ % itemCount) + 1}`);

/** Read an avatar from the other origin (the CDN, never faulty). */
export const readAvatar = async (): Promise<void> => get(`${cdnOrigin}/avatars/${(nextItem % itemCount) + 1}`);

/** Create an item: a POST with an Idempotency-Key; queued in the outbox when it cannot be delivered. */
export const writeItem = async (): Promise<void> => {
	const name = `Order ${++nextOrder}`;
	const url = `${apiOrigin}/items`;
	try {
		const response = await client.post(url, { json: { name }, idempotencyKey: true });
		model.calls.writesSent++;
		log('call', `POST ${shortUrl(url)} "${name}" → ${response.status}`, 'good');
	} catch (error) {
		if (error instanceof OutboxQueuedError) {
			queued(error.entryId);
			log('call', `POST ${shortUrl(url)} "${name}" → queued in the outbox`, 'info');
		} else {
			model.calls.writesFailed++;
			log('call', `POST ${shortUrl(url)} "${name}" → failed: ${classify(error).code}`, 'bad');
		}
	}
};

/** Ten calls at once, like a busy page: six item reads, one avatar read, three writes. */
export const burst = async (): Promise<void> => {
	const calls = [readItem, readItem, readItem, readItem, readItem, readItem, readAvatar, writeItem, writeItem, writeItem];
	await Promise.all(calls.map(async (call) => call()));
};

/** The note's ETag as this tab last read it (the version its edit is based on). */
let noteSeen = '"v1"';
let edits = 0;

/** Edit the note: read it (a stale copy will do offline), then PUT the new text with `If-Match` of the version read. */
export const editNote = async (): Promise<void> => {
	const url = `${apiOrigin}/notes/1`;
	try {
		noteSeen = (await client.get(url)).headers.get('etag') ?? noteSeen;
	} catch {
		// No copy at all: the edit is based on the version read before.
	}

	const text = `Buy milk and ${++edits} eggs`;
	try {
		const response = await client.put(url, { json: { text }, headers: { 'If-Match': noteSeen } });
		model.calls.writesSent++;
		log('call', `PUT ${shortUrl(url)} (If-Match ${noteSeen}) → ${response.status}`, 'good');
		noteSeen = response.headers.get('etag') ?? noteSeen; // the version this tab wrote
	} catch (error) {
		if (error instanceof OutboxQueuedError) {
			queued(error.entryId);
			log('call', `PUT ${shortUrl(url)} (If-Match ${noteSeen}) → queued in the outbox`, 'info');
		} else {
			model.calls.writesFailed++;
			log('call', `PUT ${shortUrl(url)} (If-Match ${noteSeen}) → failed: ${classify(error).status ?? classify(error).code}`, 'bad');
		}
	}
};

/** Another device edits the note (on the server, whatever this browser's network): its version moves on. */
export const editElsewhere = async (): Promise<void> => {
	const { note } = updateSim((state) => {
		state.note = { ...state.note, version: state.note.version + 1, text: `Edited on another device (v${state.note.version + 1})` };
	});
	log('call', `another device edited the note: now v${note.version}`, 'warn');
};
