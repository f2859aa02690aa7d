# GocInstall.cmake — `cmake --install <build> --prefix P` gives
#   P/bin/goc, P/lib/libgoc.a, P/include/goc/{goc.h,goc_abi.h},
#   P/lib/cmake/goc/ (gocConfig.cmake, version, targets goc::goc and
#   goc::runtime, GocFunctions.cmake) and P/lib/pkgconfig/goc.pc.
# Fixed layout (not GNUInstallDirs): an installed goc finds its headers in
# <bindir>/../include/goc and libgoc.a in <bindir>/../lib.
include(CMakePackageConfigHelpers)

# In the build tree the functions name the tool goc::goc too.
if(NOT TARGET goc::goc)
  add_executable(goc::goc ALIAS goc)
endif()

set_target_properties(goc_runtime PROPERTIES EXPORT_NAME runtime)
install(TARGETS goc EXPORT gocTargets RUNTIME DESTINATION bin)
install(TARGETS goc_runtime EXPORT gocTargets
  ARCHIVE DESTINATION lib
  INCLUDES DESTINATION include/goc)
if(TARGET goc_runtime_race)
  set_target_properties(goc_runtime_race PROPERTIES EXPORT_NAME runtime_race)
  install(TARGETS goc_runtime_race EXPORT gocTargets
    ARCHIVE DESTINATION lib
    INCLUDES DESTINATION include/goc)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/runtime/include/goc.h
              ${PROJECT_SOURCE_DIR}/runtime/include/goc_abi.h
        DESTINATION include/goc)

set(_goc_cmake_dir lib/cmake/goc)
install(EXPORT gocTargets NAMESPACE goc:: DESTINATION ${_goc_cmake_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/gocConfig.cmake.in
  ${PROJECT_BINARY_DIR}/gocConfig.cmake INSTALL_DESTINATION ${_goc_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/gocConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/gocConfig.cmake
              ${PROJECT_BINARY_DIR}/gocConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/GocFunctions.cmake
              ${CMAKE_CURRENT_LIST_DIR}/GocDiscoverTests.cmake
        DESTINATION ${_goc_cmake_dir})

configure_file(${CMAKE_CURRENT_LIST_DIR}/goc.pc.in ${PROJECT_BINARY_DIR}/goc.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/goc.pc DESTINATION lib/pkgconfig)
