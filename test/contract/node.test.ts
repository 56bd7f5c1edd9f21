import { describe, inject, it } from 'vitest';
import * as lib from './library.js';
import { contractCases } from './spec.js';

describe('contract (Node)', () => {
	for (const { name, run } of contractCases(lib, { baseUrl: inject('baseUrl'), refusedUrl: inject('refusedUrl'), runtime: 'node' })) {
		it(name, run);
	}
});
