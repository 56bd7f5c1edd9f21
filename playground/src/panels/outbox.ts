/**
 * The outbox, read from the library (`client.outbox.list()` / `deadLetters()`), so it is the same in
 * every tab: pending writes with their attempts and next try, and dead letters with Retry / Discard.
 * Above them, a note two devices edit: edit it offline, edit it "on another device", come back
 * online, and see the 412, then the dead letter (`conflict`) or the resolver's rebase.
 */
import type { OutboxEntry } from 'steadfetch';
import { editElsewhere, editNote } from '../actions.js';
import { client } from '../client.js';
import { countdown, h, patch, shortUrl } from '../dom.js';
import { log } from '../model.js';
import { readSim, updateSim } from '../sim.js';
import { tell } from '../writes.js';
import { counter, empty, panel } from './panel.js';

const errorText = (entry: OutboxEntry): string =>
	entry.lastError?.code ?? 'not sent yet';

/** A small button; `once`: disabled after a click (its row goes away). */
const act = (label: string, testid: string, run: () => Promise<void>, tone = '', once = true) =>
	h('button', {
		type: 'button', class: `mini ${tone}`, 'data-testid': testid,
		onclick: (event: Event) => {
			(event.currentTarget as HTMLButtonElement).disabled = once;
			void run().catch((error: unknown) => log('call', `${label} failed: ${String(error)}`, 'bad'));
		},
	}, label);

export const renderOutbox = () => {
	const { element, counters, body } = panel('Outbox', 'Writes that could not be delivered, replayed with the same Idempotency-Key by one tab at a time.', 'panel-outbox');
	const note = h('div', { class: 'note' });
	body.before(note);
	let pending: OutboxEntry[] = [];
	let dead: OutboxEntry[] = [];
	let reading = false;

	const drawNote = (): void => {
		const { note: current, resolver } = readSim();
		patch(note, JSON.stringify([current, resolver]), () => [
			h('p', {},
				h('strong', {}, 'Note '), h('span', { class: 'tag', 'data-testid': 'note-version' }, `v${current.version}`), ' ',
				h('span', { 'data-testid': 'note-text' }, current.text), ' ',
				h('span', { class: `tag ${current.conflicts > 0 ? 'bad' : ''}`, title: '412 Precondition Failed answered by the server' }, h('span', { 'data-testid': 'note-conflicts' }, current.conflicts), ' × 412')),
			h('div', { class: 'buttons' },
				act('Edit note', 'note-edit', editNote, 'primary', false),
				act('Edit on another device', 'note-elsewhere', editElsewhere, '', false),
				h('span', { class: 'muted' }, ' on conflict: '),
				...(['dead', 'rebase'] as const).map((choice) => h('button', {
					type: 'button', class: 'mini', 'data-testid': `resolver-${choice}`, 'aria-pressed': String(resolver === choice),
					title: choice === 'dead' ? 'onConflict → \'dead\': the edit becomes a dead letter (conflict)' : 'onConflict → the same edit on the current version (If-Match of the 412\'s ETag)',
					onclick: () => updateSim((state) => {
						state.resolver = choice;
					}),
				}, choice === 'dead' ? 'dead letter' : 'rebase'))),
		]);
	};

	const draw = (): void => {
		drawNote();
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
