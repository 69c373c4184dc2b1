# records: datasets of several tables (patients, visits, lab series, diagnoses) joined by keys
# and ordered in time; multi-table and longitudinal synthesis, Synthea-format modules, FHIR R4.
# medgen_records holds everything but the LibTorch sequence model, which lives in the plugin
# medgen_records_nn (loaded on first use, like medgen_tabular_nn).
medgen_module(records)
target_link_libraries(medgen_records PUBLIC medgen_tabular medgen_eval medgen_core)
list(APPEND MEDGEN_CLI_LIBS medgen_records)

file(GLOB _records_nn_src CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/records/nn/*.cpp)
if(_records_nn_src)
  add_library(medgen_records_nn SHARED ${_records_nn_src})
  target_link_libraries(medgen_records_nn PRIVATE medgen_records medgen_nn "${TORCH_LIBRARIES}")
  target_compile_options(medgen_records_nn PRIVATE -Wall -Wextra)
  target_precompile_headers(medgen_records_nn REUSE_FROM medgen_nn)
  list(APPEND MEDGEN_PLUGINS medgen_records_nn)
endif()

medgen_add_tests(records medgen_records medgen_tabular)
file(GLOB _records_cli_tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/records/cli_*.sh)
foreach(t ${_records_cli_tests})
  get_filename_component(_n ${t} NAME_WE)
  file(RELATIVE_PATH _rel ${CMAKE_SOURCE_DIR} ${t})
  medgen_add_cli_test(records_${_n} ${_rel})
endforeach()

if(MEDGEN_BUILD_BENCH)
  file(GLOB _records_bench CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/bench/records/*.cpp)
  foreach(b ${_records_bench})
    get_filename_component(_n ${b} NAME_WE)
    add_executable(${_n} ${b})
    target_link_libraries(${_n} PRIVATE medgen_records)
    target_compile_definitions(${_n} PRIVATE MEDGEN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
    add_dependencies(${_n} medgen)
  endforeach()
endif()
