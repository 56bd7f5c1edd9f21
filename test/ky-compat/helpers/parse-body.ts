// Ported from ky's test/helpers/parse-body.ts (https://github.com/sindresorhus/ky, commit 3419113),
// MIT licence: Copyright (c) Sindre Sorhus. See ../LICENSE.
import { text } from 'node:stream/consumers';
import type { Request } from 'express';

export const parseJsonBody = async <T = any>(request: Request): Promise<T> => {
	const body = await text(request);
	return JSON.parse(body) as T;
};

export const parseRawBody = async (request: Request): Promise<string> => text(request);
