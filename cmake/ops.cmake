# ops: clinic operations. Included by the top-level CMakeLists.txt (shared scope).
#   medgen_ops        src/ops/*.cpp         no-show model (XGBoost), scheduling (CBC), clinic-day
#                                           simulation, reminders and follow-ups
#   medgen_ops_admin  src/ops/claims/*.cpp, claim review (payer rules as data, denial model),
#                     src/ops/surveys/*.cpp patient surveys, decision support (CDS Hooks)
#                     src/ops/cds/*.cpp
# Run-time data (payer rules, questionnaires, reminder templates) lives in data/ops/.
find_package(PkgConfig REQUIRED)
pkg_check_modules(CBC REQUIRED IMPORTED_TARGET cbc)

file(GLOB _ops_src CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/ops/*.cpp)
if(_ops_src)
  medgen_module(ops)
  target_include_directories(medgen_ops PRIVATE ${MEDGEN_XGBOOST_INCLUDE})
  target_link_libraries(medgen_ops PUBLIC medgen_core PRIVATE PkgConfig::CBC ${MEDGEN_XGBOOST_LIB})
  list(APPEND MEDGEN_CLI_LIBS medgen_ops)
  medgen_add_tests(ops medgen_ops)
endif()

file(GLOB _ops_admin_src CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/ops/claims/*.cpp
     ${CMAKE_SOURCE_DIR}/src/ops/surveys/*.cpp ${CMAKE_SOURCE_DIR}/src/ops/cds/*.cpp)
if(_ops_admin_src)
  add_library(medgen_ops_admin STATIC ${_ops_admin_src})
  target_include_directories(medgen_ops_admin PUBLIC ${CMAKE_SOURCE_DIR}/include ${CMAKE_BINARY_DIR}/generated
                             PRIVATE ${MEDGEN_XGBOOST_INCLUDE})
  target_compile_options(medgen_ops_admin PRIVATE -Wall -Wextra)
  # medgen_server: the CDS Hooks service runs on its HTTP layer; medgen_tabular: survey synthesis.
  target_link_libraries(medgen_ops_admin PUBLIC medgen_core medgen_server medgen_tabular PRIVATE ${MEDGEN_XGBOOST_LIB})
  list(APPEND MEDGEN_CLI_LIBS medgen_ops_admin)
  foreach(_part claims surveys cds)
    medgen_add_tests(ops/${_part} medgen_ops_admin)
  endforeach()
endif()

file(GLOB _ops_bench CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/bench/ops/*.cpp)
if(MEDGEN_BUILD_BENCH AND _ops_bench)
  foreach(b ${_ops_bench})
    get_filename_component(_n ${b} NAME_WE)
    add_executable(${_n} ${b})
    target_link_libraries(${_n} PRIVATE $<$<TARGET_EXISTS:medgen_ops>:medgen_ops>
                          $<$<TARGET_EXISTS:medgen_ops_admin>:medgen_ops_admin>)
    target_include_directories(${_n} PRIVATE ${CMAKE_SOURCE_DIR}/bench)
    target_compile_definitions(${_n} PRIVATE MEDGEN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  endforeach()
endif()

# tests/ops/**/cli_*.sh: CLI scripts (tests/cli/lib.sh), labelled fast.
file(GLOB_RECURSE _ops_cli_tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/ops/cli_*.sh)
foreach(t ${_ops_cli_tests})
  file(RELATIVE_PATH _rel ${CMAKE_SOURCE_DIR} ${t})
  string(REGEX REPLACE "[/.]" "_" _n ${_rel})
  medgen_add_cli_test(${_n} ${_rel})
endforeach()
