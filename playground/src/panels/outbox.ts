/**
 * The outbox, read from the library (`client.outbox.list()` / `deadLetters()`), so it is the same in
 * every tab: pending writes with their attempts and next try, and dead letters with Retry / Discard.
 */
import type { OutboxEntry } from 'steadfetch';
import { client } from '../client.js';
import { countdown, h, patch, shortUrl } from '../dom.js';
import { log } from '../model.js';
import { tell } from '../writes.js';
import { counter, empty, panel } from './panel.js';

const errorText = (entry: OutboxEntry): string =>
	entry.lastError?.code ?? 'not sent yet';

const act = (label: string, testid: string, run: () => Promise<void>, tone = '') =>
	h('button', {
		type: 'button', class: `mini ${tone}`, 'data-testid': testid,
		onclick: (event: Event) => {
			(event.currentTarget as HTMLButtonElement).disabled = true;
			void run().catch((error: unknown) => log('call', `${label} failed: ${String(error)}`, 'bad'));
		},
	}, label);

export const renderOutbox = () => {
	const { element, counters, body } = panel('Outbox', 'Writes that could not be delivered, replayed with the same Idempotency-Key by one tab at a time.', 'panel-outbox');
	let pending: OutboxEntry[] = [];
	let dead: OutboxEntry[] = [];
	let reading = false;

	const draw = (): void => {
		patch(counters, `${pending.length}/${dead.length}`, () => [
			counter('pending', pending.length, 'outbox-pending', pending.length > 0 ? 'info' : ''),
			counter('dead letters', dead.length, 'outbox-dead', dead.length > 0 ? 'bad' : ''),
		]);
		patch(body, JSON.stringify([pending, dead, navigator.onLine]), () => [
			pending.length === 0 && dead.length === 0 ? empty('Empty: every write was delivered.') : false,
			pending.length > 0 && h('table', {},
				h('thead', {}, h('tr', {}, h('th', {}, 'pending'), h('th', { class: 'num' }, 'attempts'), h('th', {}, 'next try'), h('th', {}, 'last error'))),
				h('tbody', {}, ...pending.map((entry) => h('tr', { 'data-testid': 'outbox-row' },
					h('td', { class: 'mono' }, `${entry.method} ${shortUrl(entry.url)}`, h('span', { class: 'key', title: `Idempotency-Key: ${entry.idempotencyKey}` }, `key ${entry.idempotencyKey.slice(0, 8)}`)),
					h('td', { class: 'num' }, entry.attempts),
					h('td', {}, navigator.onLine ? countdown(entry.nextAttemptAt, 'due') : h('span', { class: 'muted' }, 'when online')),
					h('td', {}, h('span', { class: 'tag' }, errorText(entry))))))),
			pending.length > 0 && h('div', { class: 'panel-actions' },
				act('Flush now', 'outbox-flush', async () => {
					const result = await client.outbox.flush();
					log('call', `flush: ${result.sent} sent, ${result.failed} failed, ${result.dead} dead, ${result.remaining} left`, 'info');
				})),
			dead.length > 0 && h('table', { class: 'dead' },
				h('thead', {}, h('tr', {}, h('th', {}, 'dead letter'), h('th', {}, 'why'), h('th', {}, 'last error'), h('th', {}, ''))),
				h('tbody', {}, ...dead.map((entry) => h('tr', { 'data-testid': 'dead-row' },
					h('td', { class: 'mono' }, `${entry.method} ${shortUrl(entry.url)}`, h('span', { class: 'key', title: `Idempotency-Key: ${entry.idempotencyKey}` }, `key ${entry.idempotencyKey.slice(0, 8)}`)),
					h('td', {}, h('span', { class: 'tag bad' }, entry.deadReason ?? '?')),
					h('td', {}, errorText(entry)),
					h('td', { class: 'buttons' },
						act('Retry', 'dead-retry', async () => {
							await client.outbox.retry(entry.id);
							tell(entry.id, 'queued');
						}, 'primary'),
						act('Discard', 'dead-discard', async () => client.outbox.discard(entry.id))))))),
		]);
	};

	/** Read the outbox again (polled, and after every outbox event). */
	const update = async (): Promise<void> => {
		if (reading) {
			return;
		}

		reading = true;
		try {
			[pending, dead] = await Promise.all([client.outbox.list(), client.outbox.deadLetters()]);
			draw();
		} finally {
			reading = false;
		}
	};

	return { element, update: () => void update(), draw };
};
