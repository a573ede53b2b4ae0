// An LD_PRELOAD shim for bench/malloc_bench.sh: mallopt(M_MMAP_THRESHOLD) and
// mallopt(M_TRIM_THRESHOLD) do nothing (and say so on stderr), so the same
// trainer binary runs with glibc's default, self-adjusting thresholds, as it
// did before trainer_main.cc set them. Other parameters reach glibc. The
// environment cannot do this: MALLOC_MMAP_THRESHOLD_ and GLIBC_TUNABLES are
// read at start-up, and main()'s mallopt calls override them.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>

int mallopt(int param, int value) {
  if (param == M_MMAP_THRESHOLD || param == M_TRIM_THRESHOLD) {
    fprintf(stderr, "no_mallopt: ignored mallopt(%s, %d)\n",
            param == M_MMAP_THRESHOLD ? "M_MMAP_THRESHOLD" : "M_TRIM_THRESHOLD", value);
    return 1;
  }
  int (*glibc_mallopt)(int, int) = (int (*)(int, int))dlsym(RTLD_NEXT, "mallopt");
  return glibc_mallopt != NULL && glibc_mallopt(param, value);
}
