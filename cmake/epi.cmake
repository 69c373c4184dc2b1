# epi: outbreak forecasting (an SEIR model with time-varying transmission fitted by particle
# filtering, the renewal-equation R(t) of Cori et al. and persistence as baselines, scored by
# the weighted interval score) behind `medgen epi` (tools/medgen/cmd_epi.cpp). Core only.
medgen_module(epi)
target_link_libraries(medgen_epi PUBLIC medgen_core)
list(APPEND MEDGEN_CLI_LIBS medgen_epi)

medgen_add_tests(epi medgen_epi)
file(GLOB _epi_cli CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/epi/cli_*.sh)
foreach(s ${_epi_cli})
  get_filename_component(_n ${s} NAME_WE)
  file(RELATIVE_PATH _rel ${CMAKE_SOURCE_DIR} ${s})
  medgen_add_cli_test(epi_${_n} ${_rel})
endforeach()

if(MEDGEN_BUILD_BENCH)
  add_executable(bench_epi ${CMAKE_SOURCE_DIR}/bench/epi/bench_epi.cpp)
  target_link_libraries(bench_epi PRIVATE medgen_epi)
  target_compile_definitions(bench_epi PRIVATE MEDGEN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
endif()
