#include "trainer/precision.h"

#include <cpuid.h>

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace distsage {
namespace {

// XCR0 (the state the OS saves on a context switch): AVX512 needs the
// opmask/ZMM bits (5-7), AMX the tile config/data bits (17-18). A CPU flag
// without the OS's support faults on first use.
uint64_t EnabledXsaveState() {
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0 || (ecx & bit_OSXSAVE) == 0) return 0;
  uint32_t low = 0, high = 0;
  __asm__("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
  return (uint64_t{high} << 32) | low;
}

}  // namespace

absl::StatusOr<Precision> ParsePrecision(absl::string_view text) {
  if (text == "fp32" || text == "float32") return Precision::kFloat32;
  if (text == "bf16" || text == "bfloat16") return Precision::kBFloat16;
  return absl::InvalidArgumentError(
      absl::StrCat("--precision=", text, ": expected ", kAutoPrecision,
                   " (the default: bf16 where the CPU has bf16 matrix units), fp32 or bf16"));
}

const char* PrecisionName(Precision precision) {
  switch (precision) {
    case Precision::kBFloat16:
      return "bf16";
    case Precision::kBFloat16Emulated:
      return "bf16-emulated";
    case Precision::kFloat32:
      break;
  }
  return "fp32";
}

std::string Bf16Support::Describe() const {
  if (amx_bf16 && avx512_bf16) return "AMX-BF16 and AVX512-BF16";
  if (amx_bf16) return "AMX-BF16";
  if (avx512_bf16) return "AVX512-BF16";
  return "no AVX512-BF16 or AMX-BF16";
}

Bf16Support DetectBf16Support() {
  Bf16Support support;
  uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return support;
  const uint32_t max_subleaf = eax;
  const bool amx_flag = (edx & (1u << 22)) != 0;  // CPUID.(7,0):EDX[22] AMX-BF16.
  bool avx512_bf16_flag = false;
  if (max_subleaf >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) != 0) {
    avx512_bf16_flag = (eax & (1u << 5)) != 0;  // CPUID.(7,1):EAX[5] AVX512_BF16.
  }
  const uint64_t xcr0 = EnabledXsaveState();
  constexpr uint64_t kAvx512State = 0xe0;              // Bits 5-7.
  constexpr uint64_t kAmxState = (uint64_t{3} << 17);  // Bits 17-18.
  support.avx512_bf16 = avx512_bf16_flag && (xcr0 & kAvx512State) == kAvx512State;
  support.amx_bf16 = amx_flag && (xcr0 & kAmxState) == kAmxState;
  return support;
}

Precision ResolvePrecision(Precision requested, const Bf16Support& support, bool allow_emulated,
                           std::string* note) {
  note->clear();
  if (requested != Precision::kBFloat16 || support.matrix_units()) return requested;
  if (allow_emulated) {
    *note = absl::StrCat("--precision=bf16 on a CPU with ", support.Describe(),
                         " (--allow_emulated_bf16): bf16's roundings emulated, products in fp32 "
                         "(same accuracy as bf16 hardware, fp32's speed)");
    return Precision::kBFloat16Emulated;
  }
  *note = absl::StrCat("--precision=bf16: this CPU has ", support.Describe(),
                       ", so LibTorch would emulate bfloat16 matrix products several times "
                       "slower than fp32; training in fp32 instead (--allow_emulated_bf16 forces "
                       "bf16, e.g. to check its accuracy)");
  return Precision::kFloat32;
}

absl::StatusOr<Precision> ChoosePrecision(absl::string_view text, const Bf16Support& support,
                                          bool allow_emulated, std::string* note) {
  if (text == kAutoPrecision) {
    note->clear();
    return support.matrix_units() ? Precision::kBFloat16 : Precision::kFloat32;
  }
  DS_ASSIGN_OR_RETURN(const Precision requested, ParsePrecision(text));
  return ResolvePrecision(requested, support, allow_emulated, note);
}

}  // namespace distsage
