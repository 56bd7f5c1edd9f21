/** API.md "Entries and slots": the `steadfetch` preset exports everything `steadfetch/core`, `steadfetch/breaker`, `steadfetch/cache` and `steadfetch/outbox` export. */
import { describe, expect, it } from 'vitest';
import * as breaker from '../../src/entries/breaker.js';
import * as cache from '../../src/entries/cache.js';
import * as core from '../../src/entries/core.js';
import * as preset from '../../src/entries/index.js';
import * as outbox from '../../src/entries/outbox.js';

describe('entries', () => {
	it('the preset exports every value of steadfetch/core, /breaker, /cache and /outbox, the same one', () => {
		for (const [name, entry] of Object.entries({ core, breaker, cache, outbox })) {
			for (const [key, value] of Object.entries(entry)) {
				if (key === 'createClient') {
					continue; // the preset's own, which builds the mission's policies from plain options
				}

				expect((preset as Record<string, unknown>)[key], `steadfetch/${name}: ${key}`).toBe(value);
			}
		}
	});
});
