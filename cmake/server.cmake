# server: `medgen serve` (HTTP/WebSocket on Boost.Beast with OpenSSL TLS, SQLite or PostgreSQL storage,
# libsodium for passwords, tokens and encryption at rest, jobs as child processes).
# Included by the top-level CMakeLists.txt after eval, records and sim (it calls them).
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS SSL Crypto)
find_package(PkgConfig REQUIRED)
pkg_check_modules(MEDGEN_SQLITE REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(MEDGEN_SODIUM REQUIRED IMPORTED_TARGET libsodium)
# libpq too: src/server/db_postgres.cpp parses connection strings with it (libpqxx.pc omits it).
pkg_check_modules(MEDGEN_PQXX REQUIRED IMPORTED_TARGET libpqxx libpq)
# libarchive: datasets of several tables arrive as tar/zip archives and are stored as tar.
pkg_check_modules(MEDGEN_ARCHIVE REQUIRED IMPORTED_TARGET libarchive)
find_package(Threads REQUIRED)

foreach(_needed eval sim)
  if(_needed IN_LIST MEDGEN_SKIP_MODULES)
    message(FATAL_ERROR "the server module needs '${_needed}': add server to MEDGEN_SKIP_MODULES too")
  endif()
endforeach()

medgen_module(server)
target_link_libraries(medgen_server PUBLIC medgen_core medgen_tabular medgen_eval medgen_sim
                      PRIVATE Boost::headers OpenSSL::SSL OpenSSL::Crypto PkgConfig::MEDGEN_SQLITE
                              PkgConfig::MEDGEN_PQXX PkgConfig::MEDGEN_SODIUM PkgConfig::MEDGEN_ARCHIVE Threads::Threads)
list(APPEND MEDGEN_CLI_LIBS medgen_server)

medgen_add_tests(server medgen_server PkgConfig::MEDGEN_SQLITE PkgConfig::MEDGEN_PQXX PkgConfig::MEDGEN_SODIUM
                 Boost::headers Threads::Threads)
# The store and audit tests run on SQLite and on a real PostgreSQL server. ctest runs each test in
# a process of its own, so rather than one server per process (~2 s each) the medgen_postgres
# fixture starts one for the run, and the tests named "postgres" find it in $MEDGEN_TEST_PG_DIR
# (their names are known only once test_server is built: the file below, read by ctest after
# the list gtest_discover_tests made, sets their properties).
if(MEDGEN_BUILD_TESTS)
  string(MD5 _pg_key "${CMAKE_BINARY_DIR}")
  string(SUBSTRING "${_pg_key}" 0 12 _pg_key)
  set(_pg_dir /tmp/medgen-pg-test-${_pg_key})
  add_test(NAME server_postgres_start COMMAND ${CMAKE_SOURCE_DIR}/tests/server/pg_server.sh start ${_pg_dir})
  add_test(NAME server_postgres_stop COMMAND ${CMAKE_SOURCE_DIR}/tests/server/pg_server.sh stop ${_pg_dir})
  set_tests_properties(server_postgres_start PROPERTIES FIXTURES_SETUP medgen_postgres LABELS fast)
  set_tests_properties(server_postgres_stop PROPERTIES FIXTURES_CLEANUP medgen_postgres LABELS fast)
  set(_pg_props ${CMAKE_CURRENT_BINARY_DIR}/server_postgres_tests.cmake)
  file(WRITE ${_pg_props}
       "foreach(_t IN LISTS test_server_TESTS)\n"
       "  if(_t MATCHES \"[Pp]ostgres\")\n"
       "    set_tests_properties(\"\${_t}\" PROPERTIES FIXTURES_REQUIRED medgen_postgres\n"
       "                         ENVIRONMENT MEDGEN_TEST_PG_DIR=${_pg_dir})\n"
       "  endif()\n"
       "endforeach()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${_pg_props})
endif()
# `medgen serve` run as an operator would, killed with -9 and SIGTERM, on TLS and a full disk.
medgen_add_cli_test(server_faults tests/server/serve_faults.py)
# (about 35 s: in the slow suite, with web_e2e below, so that the fast suite stays within its 10 minutes)
if(MEDGEN_BUILD_TESTS)
  set_tests_properties(server_faults PROPERTIES LABELS slow)
endif()

if(MEDGEN_BUILD_BENCH)
  add_executable(bench_server ${CMAKE_SOURCE_DIR}/bench/server/bench_server.cpp)
  target_link_libraries(bench_server PRIVATE Boost::headers nlohmann_json::nlohmann_json Threads::Threads)
  target_compile_definitions(bench_server PRIVATE MEDGEN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
endif()

# The web app (web/) end to end: headless Chromium through chromedriver against a real server.
medgen_add_cli_test(web_e2e tests/web/e2e.py)
if(MEDGEN_BUILD_TESTS)
  set_tests_properties(web_e2e PROPERTIES LABELS slow)  # about 40 s
endif()
# The viewer's NIfTI reader (web/nifti.js) on volumes stored in other voxel orders, under node.
if(MEDGEN_BUILD_TESTS)
  find_program(MEDGEN_NODE node)
  if(MEDGEN_NODE)
    add_test(NAME web_nifti COMMAND ${MEDGEN_NODE} ${CMAKE_SOURCE_DIR}/tests/web/nifti_test.mjs ${CMAKE_SOURCE_DIR})
    set_tests_properties(web_nifti PROPERTIES LABELS fast)
  endif()
endif()
