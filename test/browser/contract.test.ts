import { describe, inject, it } from 'vitest';
import * as lib from '../contract/library.js';
import { contractCases } from '../contract/spec.js';

describe('contract (Chromium)', () => {
	for (const { name, run } of contractCases(lib, { baseUrl: inject('baseUrl'), refusedUrl: inject('refusedUrl'), runtime: 'chromium' })) {
		it(name, run);
	}
});
