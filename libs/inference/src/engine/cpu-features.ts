import { readFileSync } from 'node:fs';
import * as os from 'node:os';

/** What the CPU tells of itself: `/proc/cpuinfo` on Linux (empty elsewhere), the architecture and platform. */
export interface CpuDescription {
  cpuInfo: string;
  arch: string;
  platform: string;
}

function thisCpu(): CpuDescription {
  let cpuInfo = '';
  try {
    cpuInfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    // Not Linux: the architecture and platform alone decide.
  }
  return { cpuInfo, arch: os.arch(), platform: os.platform() };
}

/** Instructions that multiply u8 × s8 and add into 32 bits: the int8 graph's products are exact with them. */
const X64_INT8_DOT_PRODUCTS = ['avx512_vnni', 'avx_vnni', 'amx_int8'];

/**
 * Why the int8 graph must not run on this CPU, or undefined where it may. onnxruntime's u8 × s8
 * MatMulInteger is exact where the CPU has int8 dot products (x86 AVX-VNNI, AVX512-VNNI or AMX; Arm
 * dotprod). Without them, on x86 AVX2, it adds each pair of products in 16 bits, which saturates for
 * activations and weights that use their range (onnxruntime's quantisation guide: "may suffer from
 * saturation issue" on non-VNNI machines) — measured on an AVX2 EPYC: 22–33 % of the largest output
 * wrong on one product, a different greedy token on the tiny model.
 */
export function int8ProductsUnsupportedReason(cpu: CpuDescription = thisCpu()): string | undefined {
  const flags = new Set((/^(?:flags|Features)\s*:\s*(.*)$/m.exec(cpu.cpuInfo)?.[1] ?? '').split(/\s+/));
  if (cpu.arch === 'arm64' && (cpu.platform === 'darwin' || flags.has('asimddp'))) return undefined;
  if (cpu.arch === 'x64' && X64_INT8_DOT_PRODUCTS.some((flag) => flags.has(flag))) return undefined;
  const known =
    cpu.arch === 'x64' || cpu.arch === 'arm64'
      ? 'no int8 dot-product instructions (AVX-VNNI, AVX512-VNNI, AMX or Arm dotprod)'
      : `a ${cpu.arch} CPU`;
  return `this CPU has ${known}: onnxruntime's u8 × s8 products can saturate there, so the int8 graph is not used`;
}
