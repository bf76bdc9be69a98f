import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import type { Int8Weights } from '../onnx/int8-products';

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

/** x86 instructions that multiply u8 × s8 and add into 32 bits. */
const X64_INT8_DOT_PRODUCTS = ['avx512_vnni', 'avx_vnni', 'amx_int8'];

/**
 * The int8 graph's weight range on this CPU (int8-products.ts `Int8Weights`), or why it must not run here.
 * onnxruntime's u8 × s8 MatMulInteger adds products in 32 bits where the CPU has int8 dot products (x86
 * AVX-VNNI, AVX512-VNNI or AMX; Arm dotprod): full 8-bit weights. Other x86 CPUs (AVX2, SSE4.1) add each
 * pair of products in 16 bits, which saturates with 8-bit weights (measured on an AVX2 EPYC: 18–33 % of
 * the largest output wrong) and not with 7-bit ones (onnxruntime's `reduce_range`: 1.2 % there, and still
 * 1.8–1.9x faster than the 4-bit kernel from 16 rows). Elsewhere the int8 graph is not used.
 */
export function int8WeightsOf(cpu: CpuDescription = thisCpu()): { weights: Int8Weights } | { unsupported: string } {
  const flags = new Set((/^(?:flags|Features)\s*:\s*(.*)$/m.exec(cpu.cpuInfo)?.[1] ?? '').split(/\s+/));
  if (cpu.arch === 'x64') return { weights: X64_INT8_DOT_PRODUCTS.some((flag) => flags.has(flag)) ? 'full' : 'reduced' };
  if (cpu.arch === 'arm64' && (cpu.platform === 'darwin' || flags.has('asimddp'))) return { weights: 'full' };
  const what = cpu.arch === 'arm64' ? 'an Arm CPU without dotprod' : `a ${cpu.arch} CPU`;
  return { unsupported: `this is ${what}, where onnxruntime's u8 × s8 products were not checked, so the int8 graph is not used` };
}
