# predict: clinical prediction from tables (Cox, logistic, XGBoost), honest evaluation, model
# cards, explanations, bias audits, synthetic-data experiments and biomarker trajectories
# behind `medgen predict` (tools/medgen/cmd_predict.cpp). XGBoost through its C API only
# (cmake/eval.cmake says why not find_package).
find_path(MEDGEN_XGBOOST_INCLUDE xgboost/c_api.h REQUIRED)
find_library(MEDGEN_XGBOOST_LIB xgboost REQUIRED)

medgen_module(predict)
target_link_libraries(medgen_predict PUBLIC medgen_core medgen_tabular PRIVATE ${MEDGEN_XGBOOST_LIB})
target_include_directories(medgen_predict PRIVATE ${MEDGEN_XGBOOST_INCLUDE})
list(APPEND MEDGEN_CLI_LIBS medgen_predict)

# predict/nn: the neural survival model (include/medgen/predict/neural.h), a LibTorch shared
# library loaded on first use, like medgen_tabular_nn, so that the Cox, logistic and XGBoost
# commands never load LibTorch.
file(GLOB _predict_nn_src CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/predict/nn/*.cpp)
add_library(medgen_predict_nn SHARED ${_predict_nn_src})
target_link_libraries(medgen_predict_nn PRIVATE medgen_predict medgen_nn "${TORCH_LIBRARIES}")
target_compile_options(medgen_predict_nn PRIVATE -Wall -Wextra)
target_precompile_headers(medgen_predict_nn REUSE_FROM medgen_nn)
list(APPEND MEDGEN_PLUGINS medgen_predict_nn)

medgen_add_tests(predict medgen_predict)
if(TARGET test_predict)
  add_dependencies(test_predict medgen_predict_nn)
endif()
file(GLOB _predict_cli CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/predict/cli_*.sh)
foreach(s ${_predict_cli})
  get_filename_component(_n ${s} NAME_WE)
  file(RELATIVE_PATH _rel ${CMAKE_SOURCE_DIR} ${s})
  medgen_add_cli_test(predict_${_n} ${_rel})
endforeach()

if(MEDGEN_BUILD_BENCH AND EXISTS ${CMAKE_SOURCE_DIR}/bench/predict/bench_predict.cpp)
  add_executable(bench_predict ${CMAKE_SOURCE_DIR}/bench/predict/bench_predict.cpp)
  target_link_libraries(bench_predict PRIVATE medgen_predict)
  target_compile_definitions(bench_predict PRIVATE MEDGEN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
endif()
