# Sourced by ./submit and the benchmark scripts. On CPUs with AMX (Sapphire Rapids and later),
# Debian 12's OpenBLAS 0.3.21 selects its SapphireRapids kernels; on the machine of
# docs/BENCHMARKS.md their DGEMM ran at 16 GFLOP/s per core against 72 GFLOP/s with the AVX-512
# (SkylakeX) kernels that the same CPU runs, and the kernel products of the distributed backend
# 2-3 times slower. Unless the caller chose a kernel set, use SkylakeX there. Other CPUs keep
# OpenBLAS's own choice.
if [[ -z "${OPENBLAS_CORETYPE:-}" && -r /proc/cpuinfo ]] \
   && grep -qw amx_tile /proc/cpuinfo && grep -qw avx512f /proc/cpuinfo; then
  export OPENBLAS_CORETYPE=SkylakeX
fi
