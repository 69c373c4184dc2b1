# server: `medgen serve` (HTTP/WebSocket on Boost.Beast with OpenSSL TLS, SQLite storage,
# libsodium for passwords, tokens and encryption at rest, jobs as child processes).
# Included by the top-level CMakeLists.txt after eval, records and sim (it calls them).
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS SSL Crypto)
find_package(PkgConfig REQUIRED)
pkg_check_modules(MEDGEN_SQLITE REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(MEDGEN_SODIUM REQUIRED IMPORTED_TARGET libsodium)
find_package(Threads REQUIRED)

foreach(_needed eval sim)
  if(_needed IN_LIST MEDGEN_SKIP_MODULES)
    message(FATAL_ERROR "the server module needs '${_needed}': add server to MEDGEN_SKIP_MODULES too")
  endif()
endforeach()

medgen_module(server)
target_link_libraries(medgen_server PUBLIC medgen_core medgen_tabular medgen_eval medgen_sim
                      PRIVATE Boost::headers OpenSSL::SSL OpenSSL::Crypto PkgConfig::MEDGEN_SQLITE
                              PkgConfig::MEDGEN_SODIUM Threads::Threads)
list(APPEND MEDGEN_CLI_LIBS medgen_server)

medgen_add_tests(server medgen_server PkgConfig::MEDGEN_SQLITE PkgConfig::MEDGEN_SODIUM Boost::headers Threads::Threads)
# `medgen serve` run as an operator would, killed with -9 and SIGTERM, on TLS and a full disk.
medgen_add_cli_test(server_faults tests/server/serve_faults.py)

if(MEDGEN_BUILD_BENCH)
  add_executable(bench_server ${CMAKE_SOURCE_DIR}/bench/server/bench_server.cpp)
  target_link_libraries(bench_server PRIVATE Boost::headers nlohmann_json::nlohmann_json Threads::Threads)
  target_compile_definitions(bench_server PRIVATE MEDGEN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
endif()
