# DISTSAGE_SANITIZE: every target (product code, tests, benches) built with
# AddressSanitizer + UndefinedBehaviorSanitizer, any finding fatal.
# DISTSAGE_FUZZ adds libFuzzer's coverage instrumentation to the same code so
# that the fuzz targets of tests/fuzz/ can link against it. Both need clang
# (Debian's clang-14 and its runtimes, libclang-rt-14-dev); the Release build
# with g++ is untouched. Third-party libraries (gRPC, protobuf, RocksDB,
# LibTorch) are Debian's uninstrumented builds: their bugs are invisible here,
# their allocations are still tracked by ASan's malloc.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "DISTSAGE_SANITIZE / DISTSAGE_FUZZ need clang: configure with "
                      "-DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 "
                      "(Debian packages clang-14 libclang-rt-14-dev)")
endif()

# -O1: the sanitizers' own advice (fast enough, exact stack traces);
# line tables only: symbolized reports without the full debug info's link time.
set(distsage_sanitizer_flags -fsanitize=address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer -O1 -gline-tables-only)
if(DISTSAGE_FUZZ)
  list(APPEND distsage_sanitizer_flags -fsanitize=fuzzer-no-link)
endif()
add_compile_options(${distsage_sanitizer_flags})
add_link_options(-fsanitize=address,undefined)

# Every executable carries the sanitizer options and the leak suppressions
# (tests/sanitizers/*.txt) compiled in, so that the same findings are fatal
# however it is started: by CTest, by a test as a child process, by a build
# step listing gtest cases, or by hand. The object is compiled here, at
# configure time, and named after its content so that a change of the
# suppressions relinks everything.
set(distsage_sanitizer_dir "${CMAKE_CURRENT_LIST_DIR}")
file(READ "${distsage_sanitizer_dir}/lsan_suppressions.txt" DISTSAGE_LSAN_SUPPRESSIONS)
set_property(DIRECTORY "${CMAKE_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  "${distsage_sanitizer_dir}/lsan_suppressions.txt"
  "${distsage_sanitizer_dir}/sanitizer_defaults.cc.in")
configure_file("${distsage_sanitizer_dir}/sanitizer_defaults.cc.in"
  "${CMAKE_BINARY_DIR}/sanitizer_defaults.cc" @ONLY)
file(MD5 "${CMAKE_BINARY_DIR}/sanitizer_defaults.cc" distsage_defaults_hash)
set(distsage_defaults_object "${CMAKE_BINARY_DIR}/sanitizer_defaults-${distsage_defaults_hash}.o")
if(NOT EXISTS "${distsage_defaults_object}")
  execute_process(
    COMMAND "${CMAKE_CXX_COMPILER}" -c -fPIC -O1 "${CMAKE_BINARY_DIR}/sanitizer_defaults.cc"
            -o "${distsage_defaults_object}"
    RESULT_VARIABLE distsage_defaults_result)
  if(NOT distsage_defaults_result EQUAL 0)
    message(FATAL_ERROR "cannot compile ${CMAKE_BINARY_DIR}/sanitizer_defaults.cc")
  endif()
endif()
string(APPEND CMAKE_EXE_LINKER_FLAGS " ${distsage_defaults_object}")
message(STATUS "distsage: ASan + UBSan build (fuzzing instrumentation: ${DISTSAGE_FUZZ}; options: ${distsage_defaults_object})")
