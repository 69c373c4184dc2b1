# sim: virtual patients (physiology engine on SUNDIALS CVODE, conditions, drugs, sessions, scoring).
# Included by the top-level CMakeLists.txt (shared scope): defines medgen_sim, adds it to the CLI,
# registers its tests and its benchmark. The data it reads at run time lives in data/sim/.
find_package(SUNDIALS 6 REQUIRED CONFIG)

medgen_module(sim)
target_link_libraries(medgen_sim PUBLIC medgen_core PRIVATE SUNDIALS::cvode_shared SUNDIALS::nvecserial_shared
                      SUNDIALS::sunlinsoldense_shared SUNDIALS::sunmatrixdense_shared)
list(APPEND MEDGEN_CLI_LIBS medgen_sim)

medgen_add_tests(sim medgen_sim)
medgen_add_cli_test(sim_cli tests/sim/cli_sim.sh)
# Further CLI tests register themselves by name: tests/sim/cli_sim_team.sh -> sim_cli_team.
file(GLOB _sim_cli_tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/sim/cli_sim_*.sh)
foreach(_t ${_sim_cli_tests})
  get_filename_component(_n ${_t} NAME_WE)
  string(REPLACE "cli_sim_" "sim_cli_" _n ${_n})
  file(RELATIVE_PATH _rel ${CMAKE_SOURCE_DIR} ${_t})
  medgen_add_cli_test(${_n} ${_rel})
endforeach()

if(MEDGEN_BUILD_BENCH)
  add_executable(bench_sim ${CMAKE_SOURCE_DIR}/bench/sim/bench_sim.cpp)
  target_link_libraries(bench_sim PRIVATE medgen_sim)
  target_compile_definitions(bench_sim PRIVATE MEDGEN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
endif()
