# python: the Python package `medgen` (python/medgen/, bindings in python/src/) on pybind11, for
# Debian's /usr/bin/python3 (numpy and pandas from the archive). The build leaves an importable
# package in <build>/python/medgen: the extension module, the package's .py/.pyi files and the
# LibTorch plugins beside them (PYTHONPATH=<build>/python; docs/python.md). Areas left out by
# MEDGEN_SKIP_MODULES (eval, sim, imaging) are left out of the package too. The module links no
# LibTorch itself: the neural synthesizers load their plugin on first use, as the CLI does.
if(MEDGEN_SANITIZE)
  # An ASan-instrumented module cannot be loaded into an uninstrumented interpreter.
  message(STATUS "python: left out of a MEDGEN_SANITIZE build")
  return()
endif()
if(NOT DEFINED PYTHON_EXECUTABLE AND EXISTS /usr/bin/python3)
  set(PYTHON_EXECUTABLE /usr/bin/python3 CACHE FILEPATH "the Python the medgen package is built for")
endif()
find_package(pybind11 2.6 CONFIG REQUIRED)
find_package(pybind11_json CONFIG REQUIRED)

set(_py_src python/src/module.cpp python/src/frame.cpp python/src/tabular.cpp)
set(_py_libs medgen_tabular)
set(_py_defs "")
foreach(_area eval sim imaging)
  if(NOT _area IN_LIST MEDGEN_SKIP_MODULES)
    if(_area STREQUAL "imaging")
      list(APPEND _py_src python/src/image.cpp)
    else()
      list(APPEND _py_src python/src/${_area}.cpp)
    endif()
    list(APPEND _py_libs medgen_${_area})   # targets defined by cmake/<area>.cmake (any order)
    string(TOUPPER ${_area} _u)
    list(APPEND _py_defs MEDGEN_PY_${_u})
  endif()
endforeach()

set(MEDGEN_PYTHON_DIR ${CMAKE_BINARY_DIR}/python/medgen)
pybind11_add_module(medgen_python MODULE NO_EXTRAS ${_py_src})   # no LTO: links in seconds
set_target_properties(medgen_python PROPERTIES OUTPUT_NAME _medgen LIBRARY_OUTPUT_DIRECTORY ${MEDGEN_PYTHON_DIR})
target_link_libraries(medgen_python PRIVATE ${_py_libs} pybind11_json)
target_compile_definitions(medgen_python PRIVATE ${_py_defs})
target_compile_options(medgen_python PRIVATE -Wall -Wextra)

# The package's Python files, copied beside the module.
file(GLOB _py_files CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/python/medgen/*.py ${CMAKE_SOURCE_DIR}/python/medgen/*.pyi
     ${CMAKE_SOURCE_DIR}/python/medgen/py.typed)
set(_py_copied "")
foreach(_f ${_py_files})
  get_filename_component(_n ${_f} NAME)
  add_custom_command(OUTPUT ${MEDGEN_PYTHON_DIR}/${_n} COMMAND ${CMAKE_COMMAND} -E copy_if_different ${_f} ${MEDGEN_PYTHON_DIR}/${_n}
                     DEPENDS ${_f} VERBATIM)
  list(APPEND _py_copied ${MEDGEN_PYTHON_DIR}/${_n})
endforeach()
add_custom_target(medgen_python_files ALL DEPENDS ${_py_copied})
add_dependencies(medgen_python medgen_python_files)
# The LibTorch plugins beside the module (core/plugin.h looks there), so that the folder is the
# whole package when copied elsewhere.
add_custom_command(TARGET medgen_python POST_BUILD
                   COMMAND ${CMAKE_COMMAND} -E copy_if_different $<TARGET_FILE:medgen_tabular_nn> ${MEDGEN_PYTHON_DIR}/
                   VERBATIM)
add_dependencies(medgen_python medgen_tabular_nn)
list(APPEND MEDGEN_PLUGINS medgen_python)   # built with the CLI (`make build`)

# Tests: the package's unittest suites and the notebook-style example of docs/python.md, run by
# /usr/bin/python3 against the built package (tests/python/run.sh).
if(MEDGEN_BUILD_TESTS)
  add_test(NAME python_package COMMAND ${CMAKE_SOURCE_DIR}/tests/python/run.sh ${PYTHON_EXECUTABLE}
                                       ${CMAKE_BINARY_DIR}/python $<TARGET_FILE:medgen> ${CMAKE_SOURCE_DIR})
  set_tests_properties(python_package PROPERTIES LABELS fast)
endif()
