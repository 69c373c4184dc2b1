# imaging: medical image I/O (DICOM through GDCM, NIfTI-1/2 through nifticlib, PNG, InVesalius
# .inv3), geometry in LPS, intensity windows. No LibTorch: the image models will live in a
# separate torch target. CLI: tools/medgen/cmd_imaging.cpp. See docs/imaging.md.
# find_path/find_library rather than the packages' CMake configs: GDCM's config also imports
# VTK-related paths from Debian's build tree, and NIFTI's maps only the "None" configuration.
find_path(MEDGEN_GDCM_INCLUDE gdcmImageReader.h PATH_SUFFIXES gdcm-3.0 REQUIRED)
foreach(_l gdcmMSFF gdcmDSED gdcmCommon gdcmDICT gdcmIOD)
  find_library(MEDGEN_${_l}_LIB ${_l} REQUIRED)
  list(APPEND MEDGEN_GDCM_LIBS ${MEDGEN_${_l}_LIB})
endforeach()
find_path(MEDGEN_NIFTI_INCLUDE nifti2_io.h PATH_SUFFIXES nifti REQUIRED)
# libnifti2 reads and writes both NIfTI-1 and NIfTI-2 (nifti_image with 64-bit dimensions).
find_library(MEDGEN_NIFTI2_LIB nifti2 REQUIRED)
find_library(MEDGEN_ZNZ_LIB znz REQUIRED)
find_package(PNG REQUIRED)
find_package(ZLIB REQUIRED)

medgen_module(imaging)
target_include_directories(medgen_imaging PRIVATE ${MEDGEN_GDCM_INCLUDE} ${MEDGEN_NIFTI_INCLUDE})
target_link_libraries(medgen_imaging PUBLIC medgen_core
                      PRIVATE ${MEDGEN_GDCM_LIBS} ${MEDGEN_NIFTI2_LIB} ${MEDGEN_ZNZ_LIB} PNG::PNG ZLIB::ZLIB m)
list(APPEND MEDGEN_CLI_LIBS medgen_imaging)

medgen_add_tests(imaging medgen_imaging)
medgen_add_cli_test(imaging_cli tests/imaging/cli_image.sh)

# imaging/nn: the image models (VAE, GAN, enhancement CNN, feature network), a LibTorch shared
# library loaded on first use by src/imaging/models.cpp, like the tabular one.
file(GLOB _imaging_nn_src CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/imaging/nn/*.cpp)
add_library(medgen_imaging_nn SHARED ${_imaging_nn_src})
target_link_libraries(medgen_imaging_nn PRIVATE medgen_imaging medgen_nn "${TORCH_LIBRARIES}")
target_compile_options(medgen_imaging_nn PRIVATE -Wall -Wextra)
target_precompile_headers(medgen_imaging_nn REUSE_FROM medgen_nn)
list(APPEND MEDGEN_PLUGINS medgen_imaging_nn)

if(MEDGEN_BUILD_BENCH)
  add_executable(bench_imaging ${CMAKE_SOURCE_DIR}/bench/imaging/bench_imaging.cpp)
  target_link_libraries(bench_imaging PRIVATE medgen_imaging)
  add_dependencies(bench_imaging medgen_imaging_nn)
endif()
medgen_add_cli_test(imaging_models_cli tests/imaging/cli_image_models.sh)
# It trains a model of every kind through the CLI (about 2.5 minutes on 2 cores): in the slow
# suite, so that the fast suite stays within its 10 minutes.
if(MEDGEN_BUILD_TESTS)
  set_tests_properties(imaging_models_cli PROPERTIES LABELS slow)
endif()
