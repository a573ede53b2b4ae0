// matmul_bench: times one LibTorch float32 matmul of the trainer's dense-layer
// shape (a batch of --m rows of --k features times a --k x --n weight: 1000 x
// 767 x 256 is an Amazon Computers input layer at hidden 256), and names the
// library that answers LibTorch's BLAS call (sgemm_), so that a run under a
// different libblas.so.3 (LD_LIBRARY_PATH; bench/blas_bench.sh) shows which
// one it measured.
//
//   matmul_bench [--m 1000] [--k 767] [--n 256] [--reps 20] [--threads 2]
//                [--dtype float32|bfloat16]
//
// Prints one JSON line: the sgemm_ provider, the libraries with "blas" or
// "lapack" in their name that the process mapped, and min / median / max
// milliseconds per matmul over --reps timed runs (after 3 untimed ones).
#include <dlfcn.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"

ABSL_FLAG(int64_t, m, 1000, "rows of the left matrix (nodes in a batch)");
ABSL_FLAG(int64_t, k, 767, "inner dimension (input features)");
ABSL_FLAG(int64_t, n, 256, "columns of the right matrix (hidden units)");
ABSL_FLAG(int, reps, 20, "timed matmuls");
ABSL_FLAG(int, threads, 2, "LibTorch intra-op threads");
ABSL_FLAG(std::string, dtype, "float32",
          "float32, or bfloat16 (both operands converted before timing; on a CPU without "
          "AVX512-BF16/AMX this measures LibTorch's emulated path)");

namespace {

// The file of the shared object that defines `symbol` in this process (links
// resolved, so Debian's alternatives show which BLAS it is), or "none".
std::string ProviderOf(const char* symbol) {
  void* address = dlsym(RTLD_DEFAULT, symbol);
  Dl_info info;
  if (address == nullptr || dladdr(address, &info) == 0 || info.dli_fname == nullptr) {
    return "none";
  }
  char resolved[PATH_MAX];
  return realpath(info.dli_fname, resolved) != nullptr ? resolved : info.dli_fname;
}

// Mapped files whose name mentions BLAS or LAPACK (/proc/self/maps).
std::vector<std::string> MappedBlasLibraries() {
  std::ifstream maps("/proc/self/maps");
  std::set<std::string> found;
  std::string line;
  while (std::getline(maps, line)) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (absl::StrContains(path, "blas") || absl::StrContains(path, "lapack")) found.insert(path);
  }
  return {found.begin(), found.end()};
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage("Times a LibTorch matmul and names the BLAS that ran it.");
  absl::ParseCommandLine(argc, argv);
  torch::set_num_threads(absl::GetFlag(FLAGS_threads));
  torch::manual_seed(0);
  const std::string dtype = absl::GetFlag(FLAGS_dtype);
  if (dtype != "float32" && dtype != "bfloat16") {
    std::fprintf(stderr, "matmul_bench: --dtype=%s: expected float32 or bfloat16\n", dtype.c_str());
    return 2;
  }
  const torch::ScalarType scalar = dtype == "bfloat16" ? torch::kBFloat16 : torch::kFloat32;
  const torch::Tensor a = torch::randn({absl::GetFlag(FLAGS_m), absl::GetFlag(FLAGS_k)}).to(scalar);
  const torch::Tensor b = torch::randn({absl::GetFlag(FLAGS_k), absl::GetFlag(FLAGS_n)}).to(scalar);
  torch::Tensor c;
  for (int i = 0; i < 3; ++i) c = torch::mm(a, b);
  std::vector<double> ms;
  for (int i = 0; i < absl::GetFlag(FLAGS_reps); ++i) {
    const auto start = std::chrono::steady_clock::now();
    c = torch::mm(a, b);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf(
      "{\"shape\": \"%ldx%ldx%ld\", \"dtype\": \"%s\", \"threads\": %d, \"sgemm_provider\": "
      "\"%s\", "
      "\"mapped\": [\"%s\"], \"ms_min\": %.3f, \"ms_median\": %.3f, \"ms_max\": %.3f, "
      "\"checksum\": %.3f}\n",
      static_cast<long>(absl::GetFlag(FLAGS_m)), static_cast<long>(absl::GetFlag(FLAGS_k)),
      static_cast<long>(absl::GetFlag(FLAGS_n)), dtype.c_str(), absl::GetFlag(FLAGS_threads),
      ProviderOf("sgemm_").c_str(), absl::StrJoin(MappedBlasLibraries(), "\", \"").c_str(),
      ms.front(), ms[ms.size() / 2], ms.back(), c.to(torch::kFloat32).sum().item<double>());
  return 0;
}
