import { correlationIdOf } from './request-context';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('correlationIdOf', () => {
  it("keeps a caller's id that follows the request id rule", () => {
    expect(correlationIdOf('tenant:job-1.2_a')).toEqual({ requestId: 'tenant:job-1.2_a' });
  });

  it('generates a UUID when the caller sent none', () => {
    expect(correlationIdOf(undefined).requestId).toMatch(UUID);
    expect(correlationIdOf(undefined).problem).toBeUndefined();
  });

  it('generates a UUID and says what is wrong with an invalid id (empty, too long, a bad character, two values)', () => {
    expect(correlationIdOf('')).toEqual({ requestId: expect.stringMatching(UUID), problem: expect.stringMatching(/it is empty$/) });
    expect(correlationIdOf('a'.repeat(129)).problem).toMatch(/it has 129 characters$/);
    expect(correlationIdOf('a\r\nb').problem).toMatch(/character 2 is U\+000D$/);
    expect(correlationIdOf(['a', 'b']).problem).toMatch(/character 2 is U\+002C \(,\)$/);
  });
});
