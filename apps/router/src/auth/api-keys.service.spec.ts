import { isLoopback } from './api-keys.service';

describe('isLoopback', () => {
  it('is true only for addresses this machine alone can reach', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect({ host, loopback: isLoopback(host) }).toEqual({ host, loopback: true });
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'router.internal', '128.0.0.1'])
      expect({ host, loopback: isLoopback(host) }).toEqual({ host, loopback: false });
  });
});
