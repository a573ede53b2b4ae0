#!/usr/bin/env bash
# Installs every Debian 12 package distsage needs to build, test and run.
# Run as root (or via sudo); safe to run again.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates time
  # RPC layer: gRPC C++ runtime, its code generator, Protobuf.
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  # Abseil: flags, status, strings, synchronization, containers.
  libabsl-dev
  # Partitioning and storage.
  libmetis-dev librocksdb-dev zlib1g-dev
  # Model: LibTorch (CPU) and the Gloo headers c10d needs.
  libtorch-dev libgloo-dev
  # OpenBLAS: Debian's LibTorch calls BLAS through libblas.so.3, which is the
  # slow reference BLAS unless an optimised one is installed (bench/blas_bench.sh).
  libopenblas0-openmp
  # systemd: graph_server tells a Type=notify unit it is ready (sd_notify from
  # libsystemd); systemd itself gives the tests systemd-analyze, which checks
  # the unit templates in deploy/systemd/.
  libsystemd-dev systemd
  # Logging (LibTorch links glog already), JSON, GoogleTest.
  libgoogle-glog-dev nlohmann-json3-dev libgtest-dev libgmock-dev
  # Plots of training curves and benchmark tables (bench/plot_*.sh): gnuplot
  # without X11 still writes PNGs (pngcairo), and needs no display.
  gnuplot-nox
  # Cluster tools: copy_partitions and launch reach the machines with ssh and
  # copy with rsync; the tests of tests/deploy/ start a real sshd as root.
  openssh-server openssh-client rsync
  # TLS: deploy/make_certs makes the cluster's CA and certificates with openssl.
  openssl
  # Simulated cluster (bench/netns_cluster.sh and its test): ip makes the
  # network namespaces, veths and bridge, tc shapes the links; python3
  # computes the scripts' figures.
  iproute2 python3
  # Checking builds of deploy/run_tests.sh: clang with its sanitizer and
  # libFuzzer runtimes (ASan + UBSan over the test suite, the fuzz targets of
  # tests/fuzz/), and llvm-symbolizer for readable sanitizer stack traces.
  clang-14 libclang-rt-14-dev llvm-14
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install_deps: all ${#packages[@]} packages already installed"
  exit 0
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
