import { int8WeightsOf } from './cpu-features';

describe("the int8 graph's weights on each CPU", () => {
  const x64 = (flags: string) => ({
    cpuInfo: `processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: ${flags}\n`,
    arch: 'x64',
    platform: 'linux',
  });

  it('full 8-bit weights on x86 with VNNI (AVX512 or AVX) or AMX', () => {
    for (const flag of ['avx512_vnni', 'avx_vnni', 'amx_int8'])
      expect(int8WeightsOf(x64(`sse4_2 avx2 ${flag} fma`))).toEqual({ weights: 'full' });
  });

  it('7-bit weights on other x86 CPUs (their u8 × s8 pairs add in 16 bits), and where the CPU cannot be told', () => {
    expect(int8WeightsOf(x64('sse4_2 avx avx2 fma avx512f'))).toEqual({ weights: 'reduced' });
    expect(int8WeightsOf({ cpuInfo: '', arch: 'x64', platform: 'win32' })).toEqual({ weights: 'reduced' });
  });

  it('full weights on Arm with dotprod (Linux asimddp, every Apple silicon); none without, nor on other architectures', () => {
    expect(int8WeightsOf({ cpuInfo: 'Features\t: fp asimd asimddp crc32\n', arch: 'arm64', platform: 'linux' })).toEqual({
      weights: 'full',
    });
    expect(int8WeightsOf({ cpuInfo: '', arch: 'arm64', platform: 'darwin' })).toEqual({ weights: 'full' });
    expect(int8WeightsOf({ cpuInfo: 'Features\t: fp asimd crc32\n', arch: 'arm64', platform: 'linux' })).toEqual({
      unsupported: expect.stringMatching(/Arm CPU without dotprod.*not used/),
    });
    expect(int8WeightsOf({ cpuInfo: '', arch: 'riscv64', platform: 'linux' })).toEqual({
      unsupported: expect.stringMatching(/a riscv64 CPU/),
    });
  });
});
