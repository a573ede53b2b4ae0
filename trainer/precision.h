// The arithmetic the dense layers run in. bfloat16 halves the bytes of every
// matmul operand and runs on the CPU's bf16 matrix units (AVX512-BF16, AMX)
// where it has them; master weights, optimiser state, gradients exchanged
// between trainers and the loss stay float32. Plain data and cpuid, no
// LibTorch, so the CLI can decide before building anything.
#ifndef DISTSAGE_TRAINER_PRECISION_H_
#define DISTSAGE_TRAINER_PRECISION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace distsage {

enum class Precision {
  kFloat32,
  kBFloat16,
  // bf16's roundings without bf16 hardware: operands and results rounded to
  // bfloat16 exactly as on the matrix units, the products and sums done by
  // the float32 BLAS (a product of two bf16 values is exact in float32, and
  // the units accumulate in float32 too). The same model at fp32 speed, for
  // checking bf16's accuracy on any CPU; LibTorch's own bf16 kernels would
  // be many times slower than fp32 there (bench/results/matmul_bf16.md).
  kBFloat16Emulated,
};

// "fp32" or "bf16" (also "float32", "bfloat16").
absl::StatusOr<Precision> ParsePrecision(absl::string_view text);
// The trainer's --precision default: bf16 where the CPU has bf16 matrix
// units, fp32 elsewhere.
inline constexpr absl::string_view kAutoPrecision = "auto";
// "fp32" / "bf16" / "bf16-emulated".
const char* PrecisionName(Precision precision);
// Whether the dense layers round to bfloat16 (natively or emulated).
inline bool RoundsToBFloat16(Precision precision) { return precision != Precision::kFloat32; }

// What this CPU offers for bfloat16 matrix products, from cpuid.
struct Bf16Support {
  bool avx512_bf16 = false;  // AVX512-BF16 dot products (Cooper Lake, Zen 4, ...).
  bool amx_bf16 = false;     // AMX tiles (Sapphire Rapids and later).
  bool matrix_units() const { return avx512_bf16 || amx_bf16; }
  // "AMX-BF16 and AVX512-BF16", "AVX512-BF16", or "no AVX512-BF16 or AMX-BF16".
  std::string Describe() const;
};
Bf16Support DetectBf16Support();

// The precision a run uses when `requested` is asked for on a CPU with
// `support`. bf16 without matrix units would run LibTorch's bf16 kernels,
// many times slower than fp32 (bench/results/matmul_bf16.md), so the
// run falls back to fp32 with `*note` saying why, unless `allow_emulated`:
// then kBFloat16Emulated (bf16's arithmetic at fp32's speed, for checking
// accuracy on any machine). `*note` is left empty when nothing changes.
Precision ResolvePrecision(Precision requested, const Bf16Support& support, bool allow_emulated,
                           std::string* note);
// The precision a run uses for --precision=`text`: kAutoPrecision is bf16
// on a CPU with bf16 matrix units and fp32 on one without (never emulated:
// that is for an explicit bf16), anything else as ParsePrecision and
// ResolvePrecision have it.
absl::StatusOr<Precision> ChoosePrecision(absl::string_view text, const Bf16Support& support,
                                          bool allow_emulated, std::string* note);

}  // namespace distsage

#endif  // DISTSAGE_TRAINER_PRECISION_H_
