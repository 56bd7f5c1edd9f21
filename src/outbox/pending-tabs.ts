import { isNewer, openChannel, type Channel } from '../utils/channel.js';
import { hasTabs } from '../utils/tabs.js';
import type { Note } from './pending-writes.js';

const isNote = (data: unknown): data is Note => {
	const note = data as Partial<Note> | null;
	const short = (value: unknown, max: number): boolean => typeof value === 'string' && value.length <= max;
	// `'*'` (no entry's id) only in a clear: an entry told queued under it would read as a clear of every count. A URL of
	// any length: a write to it is queued (what is kept of a long one is bounded, pending-writes.ts `laneOf`).
	return note?.v === 1 && (note.op === '+' ? note.id !== '*' && typeof note.url === 'string' : note.op === '-') && short(note.id, 128)
		&& (note.who === undefined || short(note.who, 128));
};

/**
 * The channel `steadfetch:<name>:pending` to the other tabs of the client's name, where there are
 * tabs: what they post (distrusted: a note of the expected shape only) goes to `apply`; a newer build's word
 * (another `v`, another `op`) is ignored quietly; anything else is ignored and told to `malformed` (reported as `storage:error`, without its content). `undefined`
 * without tabs or a channel. The `workerd`/`deno`/`edge-light` build has `pending-tabs-edge.ts`
 * instead (no tabs there): no receiver of another tab's notes.
 */
export const linkPendingTabs = (name: string, apply: (note: Note) => void, malformed: () => void): Channel | undefined => hasTabs()
	? openChannel(`steadfetch:${name}:pending`, (data) => isNote(data) ? apply(data) : isNewer(data, ({ v, op }) => v === 1 && (op === '+' || op === '-')) || malformed())
	: undefined;
