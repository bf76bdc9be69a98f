import { generateApiKey, hashApiKeySecret, parseApiKey, parseScopes, verifyApiKeySecret } from './api-keys';

describe('API keys', () => {
  it('a generated key reads back as its id and secret; the id is visible for lookup', () => {
    const { key, id, secret } = generateApiKey();
    expect(key).toMatch(/^slm_[0-9a-f]{16}_[A-Za-z0-9_-]{32}$/);
    expect(parseApiKey(key)).toEqual({ id, secret });
    expect(generateApiKey().key).not.toBe(key);
  });

  it('parses a secret that itself holds underscores', () => {
    expect(parseApiKey(`slm_0123456789abcdef_${'_a-'.repeat(10)}ab`)).toEqual({ id: '0123456789abcdef', secret: `${'_a-'.repeat(10)}ab` });
  });

  it.each([
    '',
    'sk-openai-key',
    'slm_0123456789abcdef',
    `slm_0123456789ABCDEF_${'a'.repeat(32)}`,
    `slm_0123456789abcdef_${'a'.repeat(31)}`,
    `slm_0123456789abcdef_${'a'.repeat(33)}`,
    ` slm_0123456789abcdef_${'a'.repeat(32)}`,
    `slm_0123456789abcdef_${'a'.repeat(31)}!`,
  ])('refuses a malformed key %j', (text) => {
    expect(parseApiKey(text)).toBeUndefined();
  });

  it('verifies a secret only against its own salted HMAC', () => {
    const { secret } = generateApiKey();
    const salt = 'c2FsdC1vbmUtMTYtYnl0ZQ';
    const record = { salt, hash: hashApiKeySecret(secret, salt) };
    expect(record.hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(record.hash).not.toContain(secret);
    expect(verifyApiKeySecret(record, secret)).toBe(true);
    expect(verifyApiKeySecret(record, `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`)).toBe(false);
    // Another salt, another hash for the same secret: no table covers every key.
    expect(hashApiKeySecret(secret, 'b3RoZXItc2FsdA')).not.toBe(record.hash);
    expect(verifyApiKeySecret({ salt, hash: 'short' }, secret)).toBe(false);
  });

  it('parses scopes, naming an unknown one', () => {
    expect(parseScopes('solve, batch,solve')).toEqual(['solve', 'batch']);
    expect(parseScopes('admin')).toEqual(['admin']);
    expect(() => parseScopes('solve,root')).toThrow('unknown scope "root"; expected solve, batch, admin');
    expect(() => parseScopes(' , ')).toThrow('at least one scope');
  });
});
