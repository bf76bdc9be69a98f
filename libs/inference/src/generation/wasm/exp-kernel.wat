;; The exponentials of softmax, four lanes at a time (WebAssembly SIMD): exp(x[i] * scale + shift) for
;; i < n, f32 in (at $src) and out (at $dst), and their sum accumulated in f64. V8's Math.exp costs ~20 ns a
;; call, 2.5 ms for a 128k vocabulary every sampled token; this is ~0.2 ms.
;; Cephes' expf: x = k·ln2 + r with |r| <= ln2/2 (ln2 split in two for an exact product), e^r by a
;; degree-6 polynomial, 2^k written into the exponent bits. Relative error ~1e-7 for the same f32 argument.
;; Arguments under -87 (and -Infinity, a filtered token) give 0, as exp does to f32 precision.
;; Source of exp-kernel.generated.ts (scripts/wasm-gen.js assembles it; --check in CI).
(module
  (memory (export "memory") 1)
  (func (export "exp_sum") (param $src i32) (param $dst i32) (param $n i32) (param $scale f32) (param $shift f32) (result f64)
    (local $i i32) (local $y v128) (local $acc0 v128) (local $acc1 v128) (local $vscale v128) (local $vshift v128)
    (local $tail f64) (local $s f32)
    (local.set $vscale (f32x4.splat (local.get $scale)))
    (local.set $vshift (f32x4.splat (local.get $shift)))
    (block $done
      (loop $lanes
        (br_if $done (i32.gt_s (i32.add (local.get $i) (i32.const 4)) (local.get $n)))
        (local.set $y (call $exp4 (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))) (local.get $vscale)) (local.get $vshift))))
        (v128.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))) (local.get $y))
        (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.promote_low_f32x4 (local.get $y))))
        (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $y) (local.get $y)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $lanes)))
    ;; the last n mod 4 values, one at a time in lane 0
    (block $end
      (loop $rest
        (br_if $end (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $s (f32x4.extract_lane 0 (call $exp4 (f32x4.splat
          (f32.add (f32.mul (f32.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))) (local.get $scale)) (local.get $shift))))))
        (f32.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))) (local.get $s))
        (local.set $tail (f64.add (local.get $tail) (f64.promote_f32 (local.get $s))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rest)))
    (f64.add (local.get $tail)
      (f64.add
        (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0)))
        (f64.add (f64x2.extract_lane 0 (local.get $acc1)) (f64x2.extract_lane 1 (local.get $acc1))))))
  ;; e^x on four lanes
  (func $exp4 (param $x v128) (result v128)
    (local $fx v128) (local $r v128) (local $y v128) (local $under v128)
    ;; lanes under -87 (and -Infinity; NaN stays NaN) become 0 at the end
    (local.set $under (f32x4.lt (local.get $x) (f32x4.splat (f32.const -87.0))))
    (local.set $x (f32x4.max (local.get $x) (f32x4.splat (f32.const -87.0))))
    (local.set $fx (f32x4.floor (f32x4.add (f32x4.mul (local.get $x) (f32x4.splat (f32.const 1.44269504088896341))) (f32x4.splat (f32.const 0.5)))))
    (local.set $r (f32x4.sub (f32x4.sub (local.get $x) (f32x4.mul (local.get $fx) (f32x4.splat (f32.const 0.693359375))))
                             (f32x4.mul (local.get $fx) (f32x4.splat (f32.const -2.12194440e-4)))))
    (local.set $y (f32x4.splat (f32.const 1.9875691500e-4)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 1.3981999507e-3))))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 8.3334519073e-3))))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 4.1665795894e-2))))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 1.6666665459e-1))))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $r)) (f32x4.splat (f32.const 5.0000001201e-1))))
    (local.set $y (f32x4.add (f32x4.add (f32x4.mul (f32x4.mul (local.get $y) (local.get $r)) (local.get $r)) (local.get $r)) (f32x4.splat (f32.const 1))))
    ;; times 2^k: k + 127 into the exponent bits
    (v128.andnot
      (f32x4.mul (local.get $y) (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $fx)) (i32x4.splat (i32.const 127))) (i32.const 23)))
      (local.get $under)))
)
