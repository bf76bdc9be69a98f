import { replicaAddressOf, systemHostResolver, workerTargetOf } from './host-resolver';

describe('worker targets', () => {
  it('resolves dns:///name:port itself and keeps any other address as one replica', () => {
    expect(workerTargetOf('dns:///math-worker:50061')).toEqual({ kind: 'dns', hostname: 'math-worker', port: 50061 });
    expect(workerTargetOf('10.0.0.5:50061')).toEqual({ kind: 'static', address: '10.0.0.5:50061' });
    expect(workerTargetOf('math-worker:50061')).toEqual({ kind: 'static', address: 'math-worker:50061' });
  });

  it('writes resolved IPv6 addresses in brackets', () => {
    expect(replicaAddressOf('10.0.0.5', 50061)).toBe('10.0.0.5:50061');
    expect(replicaAddressOf('fd00::5', 50061)).toBe('[fd00::5]:50061');
  });

  it('resolves through the system resolver by default', async () => {
    const addresses = await systemHostResolver('localhost');
    expect(addresses.some((address) => address === '127.0.0.1' || address === '::1')).toBe(true);
  });
});
