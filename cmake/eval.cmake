# eval: fidelity, utility and privacy of synthetic tables, the HTML/JSON report and the
# release gate behind `medgen evaluate` (tools/medgen/cmd_evaluate.cpp).
# Not find_package(xgboost): Debian's config file also imports the `xgboost` command-line
# program (/usr/bin/xgboost, package xgboost), which libxgboost-dev does not install, and
# the whole configure fails on it. The C API needs only the header and the library.
find_path(MEDGEN_XGBOOST_INCLUDE xgboost/c_api.h REQUIRED)
find_library(MEDGEN_XGBOOST_LIB xgboost REQUIRED)

medgen_module(eval)
target_link_libraries(medgen_eval PUBLIC medgen_core PRIVATE ${MEDGEN_XGBOOST_LIB})
target_include_directories(medgen_eval PRIVATE ${MEDGEN_XGBOOST_INCLUDE})
list(APPEND MEDGEN_CLI_LIBS medgen_eval)

medgen_add_tests(eval medgen_eval medgen_tabular)
medgen_add_cli_test(eval_cli tests/eval/cli_evaluate.sh)

# The benchmark lives in bench/eval/ (not globbed with bench/*.cpp, which link medgen_tabular
# only), so that a build that skips this module (MEDGEN_SKIP_MODULES) does not try to link it.
if(MEDGEN_BUILD_BENCH)
  add_executable(bench_evaluate ${CMAKE_SOURCE_DIR}/bench/eval/bench_evaluate.cpp)
  target_link_libraries(bench_evaluate PRIVATE medgen_eval medgen_tabular)
  target_compile_definitions(bench_evaluate PRIVATE MEDGEN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
endif()
