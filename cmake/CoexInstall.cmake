# Install rules and the CMake package: an outside project writes
#   find_package(coex 0.1 REQUIRED)
#   coex_add_plugin(NAME my_target KIND hardware_target SOURCES my_target.cpp)
# with the same function the in-tree plugins use.
include(CMakePackageConfigHelpers)

set(COEX_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/coex)
set(_targets coex_sdk coex_core coex)
if(TARGET coex_torch)
  list(APPEND _targets coex_torch)
endif()
# coex_testing (core/CMakeLists.txt): the conformance kit's loader; its checks are header-only.
list(APPEND _targets coex_testing)

install(TARGETS ${_targets} EXPORT coexTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/include/coex DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/core/include/coex DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/testing/include/coex DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
if(TARGET coex_torch)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/sdk/torch/include/coex DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endif()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/configs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/coex/configs
        FILES_MATCHING PATTERN "*.toml")
install(EXPORT coexTargets NAMESPACE coex:: DESTINATION ${COEX_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/coexConfig.cmake.in
  ${CMAKE_BINARY_DIR}/coexConfig.cmake INSTALL_DESTINATION ${COEX_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/coexConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/coexConfig.cmake ${CMAKE_BINARY_DIR}/coexConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/CoexPlugin.cmake
        DESTINATION ${COEX_CMAKE_DIR})
