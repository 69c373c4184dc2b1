# text: clinical notes. Included by the top-level CMakeLists.txt (shared scope).
#   medgen_text       src/text/*.cpp       sections, sentences, tokens, lexicons, concepts, context
#                                          (negation, uncertainty, history, hypothetical, family),
#                                          FHIR R4 and registry output
#   medgen_text_deid  src/text/deid/*.cpp  de-identification (HIPAA Safe Harbor identifiers): rules
#                                          and a learned tagger (liblinear)
#   medgen_text_docs  src/text/docs/*.cpp  documents from data (HTML, PDF), SOAP drafts from
#                                          transcripts, answers with citations (Xapian)
# Run-time data (lexicons, context rules, templates) lives in data/text/.
find_package(PkgConfig REQUIRED)

medgen_module(text)
target_link_libraries(medgen_text PUBLIC medgen_core)
list(APPEND MEDGEN_CLI_LIBS medgen_text)
medgen_add_tests(text medgen_text)

foreach(_part deid docs)
  file(GLOB _part_src CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/text/${_part}/*.cpp)
  if(NOT _part_src)
    continue()
  endif()
  add_library(medgen_text_${_part} STATIC ${_part_src})
  target_link_libraries(medgen_text_${_part} PUBLIC medgen_text)
  target_compile_options(medgen_text_${_part} PRIVATE -Wall -Wextra)
  list(APPEND MEDGEN_CLI_LIBS medgen_text_${_part})
  medgen_add_tests(text/${_part} medgen_text_${_part})
endforeach()
if(TARGET medgen_text_deid)
  # liblinear (Debian liblinear-dev): the learned tagger's logistic regression (src/text/deid/tagger.cpp)
  find_path(MEDGEN_LIBLINEAR_INCLUDE linear.h REQUIRED)
  find_library(MEDGEN_LIBLINEAR_LIB linear REQUIRED)
  target_include_directories(medgen_text_deid PRIVATE ${MEDGEN_LIBLINEAR_INCLUDE})
  target_link_libraries(medgen_text_deid PRIVATE ${MEDGEN_LIBLINEAR_LIB})
endif()
if(TARGET medgen_text_docs)
  pkg_check_modules(XAPIAN REQUIRED IMPORTED_TARGET xapian-core)
  find_path(MEDGEN_HPDF_INCLUDE hpdf.h REQUIRED)
  find_library(MEDGEN_HPDF_LIB hpdf REQUIRED)
  target_include_directories(medgen_text_docs PRIVATE ${MEDGEN_HPDF_INCLUDE})
  find_package(CURL REQUIRED)  # the optional language-model connector of SOAP drafts
  target_link_libraries(medgen_text_docs PRIVATE PkgConfig::XAPIAN ${MEDGEN_HPDF_LIB} CURL::libcurl)
endif()

file(GLOB _text_bench CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/bench/text/*.cpp)
if(MEDGEN_BUILD_BENCH AND _text_bench)
  foreach(b ${_text_bench})
    get_filename_component(_n ${b} NAME_WE)
    add_executable(${_n} ${b})
    target_link_libraries(${_n} PRIVATE medgen_text $<$<TARGET_EXISTS:medgen_text_deid>:medgen_text_deid>
                          $<$<TARGET_EXISTS:medgen_text_docs>:medgen_text_docs>)
    target_include_directories(${_n} PRIVATE ${CMAKE_SOURCE_DIR}/bench)
    target_compile_definitions(${_n} PRIVATE MEDGEN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  endforeach()
endif()

# tests/text/**/cli_*.sh: CLI scripts (tests/cli/lib.sh), labelled fast.
file(GLOB_RECURSE _text_cli_tests CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/text/cli_*.sh)
foreach(t ${_text_cli_tests})
  file(RELATIVE_PATH _rel ${CMAKE_SOURCE_DIR} ${t})
  string(REGEX REPLACE "[/.]" "_" _n ${_rel})
  medgen_add_cli_test(${_n} ${_rel})
endforeach()
