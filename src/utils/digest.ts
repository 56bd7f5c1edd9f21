/** SHA-256 of a string, as lower-case hex. */
export const sha256 = async (text: string): Promise<string> => {
	const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
	return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
};

/**
 * The digest an identity is known by in storage (never the identity itself). One holding a lone surrogate (cut in the
 * middle of an emoji), which UTF-8 turns into U+FFFD, is digested escaped (JSON), under another prefix: `a\uD800`,
 * `a\uDBFF` and `a\uFFFD` are three identities; any other string's digest is as it always was.
 */
export const identityDigest = async (name: string, identity: string): Promise<string> => {
	const lone = /\p{Cs}/u.test(identity);
	return sha256(`steadfetch identity${lone ? '*' : ''}\n${name}\n${lone ? JSON.stringify(identity) : identity}`);
};
