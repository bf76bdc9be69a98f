import { int8ProductsUnsupportedReason } from './cpu-features';

describe('where the int8 graph may run', () => {
  const x64 = (flags: string) => ({
    cpuInfo: `processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: ${flags}\n`,
    arch: 'x64',
    platform: 'linux',
  });

  it('on x86 with VNNI (AVX512 or AVX) or AMX', () => {
    for (const flag of ['avx512_vnni', 'avx_vnni', 'amx_int8'])
      expect(int8ProductsUnsupportedReason(x64(`sse4_2 avx2 ${flag} fma`))).toBeUndefined();
  });

  it('not on x86 with AVX2 alone (its u8 × s8 pairs add in 16 bits and saturate), saying why', () => {
    expect(int8ProductsUnsupportedReason(x64('sse4_2 avx avx2 fma avx512f'))).toMatch(/no int8 dot-product instructions.*saturate/);
  });

  it('on Arm with dotprod (Linux asimddp, every Apple silicon), not without', () => {
    expect(
      int8ProductsUnsupportedReason({ cpuInfo: 'Features\t: fp asimd asimddp crc32\n', arch: 'arm64', platform: 'linux' }),
    ).toBeUndefined();
    expect(int8ProductsUnsupportedReason({ cpuInfo: '', arch: 'arm64', platform: 'darwin' })).toBeUndefined();
    expect(int8ProductsUnsupportedReason({ cpuInfo: 'Features\t: fp asimd crc32\n', arch: 'arm64', platform: 'linux' })).toBeDefined();
  });

  it('not where the CPU cannot be told (x86 outside Linux, other architectures)', () => {
    expect(int8ProductsUnsupportedReason({ cpuInfo: '', arch: 'x64', platform: 'win32' })).toBeDefined();
    expect(int8ProductsUnsupportedReason({ cpuInfo: '', arch: 'riscv64', platform: 'linux' })).toMatch(/a riscv64 CPU/);
  });
});
