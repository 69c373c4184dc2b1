# trial: virtual clinical trials (learn a real trial's arms with medgen's synthesizers and Cox
# models, simulate trials of a chosen design, report power, type-I error and the hazard ratio's
# distribution) behind `medgen trial` (tools/medgen/cmd_trial.cpp). Needs predict (Cox).
if(NOT TARGET medgen_predict)
  message(STATUS "trial: left out (it needs the predict module)")
  list(FILTER _cli_src EXCLUDE REGEX "/cmd_trial[a-z_]*\\.cpp$")
  return()
endif()
medgen_module(trial)
target_link_libraries(medgen_trial PUBLIC medgen_predict medgen_tabular medgen_core)
find_package(Threads REQUIRED)
target_link_libraries(medgen_trial PRIVATE Threads::Threads)
list(APPEND MEDGEN_CLI_LIBS medgen_trial)

medgen_add_tests(trial medgen_trial)
file(GLOB _trial_cli CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/trial/cli_*.sh)
foreach(s ${_trial_cli})
  get_filename_component(_n ${s} NAME_WE)
  file(RELATIVE_PATH _rel ${CMAKE_SOURCE_DIR} ${s})
  medgen_add_cli_test(trial_${_n} ${_rel})
endforeach()

if(MEDGEN_BUILD_BENCH)
  add_executable(bench_trial ${CMAKE_SOURCE_DIR}/bench/trial/bench_trial.cpp)
  target_link_libraries(bench_trial PRIVATE medgen_trial)
  target_compile_definitions(bench_trial PRIVATE MEDGEN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
endif()
