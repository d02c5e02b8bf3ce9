# coex_add_plugin(NAME <name> KIND <search_space|hardware_target|controller|estimator>
#                 SOURCES <files...> [TORCH] [LIBRARIES <libs...>] [OUTPUT_DIR <dir>]
#                 [NO_MANIFEST] [NO_INSTALL])
#
# Builds one plugin as a MODULE library named coex_plugin_<name>.so in the plugin folder and
# links only the SDK (coex::sdk: the headers of sdk/include and libcoex_sdk) and generates its manifest (<name>.coex-plugin.json) right after linking, by asking `coex manifest`
# to load it with every loader check. TORCH links libcoex_torch and LibTorch with the shared
# precompiled header.
function(coex_add_plugin)
  cmake_parse_arguments(P "TORCH;NO_MANIFEST;NO_INSTALL" "NAME;KIND;OUTPUT_DIR" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT P_NAME OR NOT P_KIND OR NOT P_SOURCES)
    message(FATAL_ERROR "coex_add_plugin: NAME, KIND and SOURCES are required")
  endif()
  if(NOT P_OUTPUT_DIR)
    set(P_OUTPUT_DIR ${COEX_BUILD_PLUGIN_DIR})
  endif()
  set(tgt coex_plugin_${P_NAME})
  add_library(${tgt} MODULE ${P_SOURCES})
  # Every plugin of the build, for suites that need them all (tests/CMakeLists.txt).
  set_property(GLOBAL APPEND PROPERTY COEX_PLUGIN_TARGETS ${tgt})
  set_target_properties(${tgt} PROPERTIES
    PREFIX ""
    OUTPUT_NAME coex_plugin_${P_NAME}
    LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    INSTALL_RPATH "$ORIGIN/../..")
  if(CMAKE_LIBRARY_OUTPUT_DIRECTORY)
    set_target_properties(${tgt} PROPERTIES BUILD_RPATH "${CMAKE_LIBRARY_OUTPUT_DIRECTORY}")
  endif()
  target_compile_features(${tgt} PRIVATE cxx_std_20)
  target_link_libraries(${tgt} PRIVATE coex::sdk ${P_LIBRARIES})
  if(P_TORCH)
    if(NOT TARGET coex::torch)
      message(FATAL_ERROR "plugin ${P_NAME} needs LibTorch, but coex was configured without it")
    endif()
    target_link_libraries(${tgt} PRIVATE coex::torch)
    target_compile_definitions(${tgt} PRIVATE COEX_PLUGIN_TORCH_VERSION="${COEX_TORCH_VERSION}")
    if(TARGET coex_torch_pch)
      target_precompile_headers(${tgt} REUSE_FROM coex_torch_pch)
    endif()
  endif()
  # The loader refuses plugin files writable by group or others, whatever the umask made them.
  add_custom_command(TARGET ${tgt} POST_BUILD COMMAND chmod go-w $<TARGET_FILE:${tgt}> VERBATIM)
  if(NOT P_NO_MANIFEST)
    if(TARGET coex)
      add_dependencies(${tgt} coex)  # in-tree: the manifest tool is built first
    endif()
    add_custom_command(TARGET ${tgt} POST_BUILD
      COMMAND $<TARGET_FILE:${COEX_EXECUTABLE_TARGET}> manifest $<TARGET_FILE:${tgt}> ${P_OUTPUT_DIR}/${P_NAME}.coex-plugin.json
      COMMENT "Writing manifest of coex plugin ${P_NAME}"
      VERBATIM)
    if(NOT P_NO_INSTALL)
      install(TARGETS ${tgt} LIBRARY DESTINATION ${COEX_INSTALL_PLUGIN_DIR})
      install(FILES ${P_OUTPUT_DIR}/${P_NAME}.coex-plugin.json DESTINATION ${COEX_INSTALL_PLUGIN_DIR})
      # Installing rewrites the library's RPATH, so its SHA-256 changes: record the installed
      # library's digest in the installed manifest (the loader compares the two).
      install(CODE "
        set(_dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${COEX_INSTALL_PLUGIN_DIR}\")
        file(SHA256 \"\${_dir}/coex_plugin_${P_NAME}.so\" _sha)
        file(READ \"\${_dir}/${P_NAME}.coex-plugin.json\" _text)
        string(REGEX REPLACE \"\\\"library_sha256\\\": \\\"[0-9a-f]*\\\"\"
               \"\\\"library_sha256\\\": \\\"\${_sha}\\\"\" _text \"\${_text}\")
        file(WRITE \"\${_dir}/${P_NAME}.coex-plugin.json\" \"\${_text}\")
      ")
    endif()
  endif()
endfunction()

# coex_add_plugin_test(NAME <test> SOURCES <files...> [PLUGINS <plugin names...>]
#                      [LIBRARIES <libs...>] [INCLUDES <dirs...>] [DEFINITIONS <defs...>])
#
# A GoogleTest executable for a plugin's tests (its `tests/` folder: unit tests and the
# conformance instantiation), linked with the conformance kit (coex::testing). The kit finds the
# plugins under test in COEX_BUILD_PLUGIN_DIR; PLUGINS are built before the test. Inside the coex
# tree, tests are skipped when COEX_BUILD_TESTS is OFF, and the function
# coex_in_tree_test_options (if defined) adds the suite's shared helpers.
function(coex_add_plugin_test)
  cmake_parse_arguments(T "" "NAME" "SOURCES;PLUGINS;LIBRARIES;INCLUDES;DEFINITIONS" ${ARGN})
  if(DEFINED COEX_BUILD_TESTS AND NOT COEX_BUILD_TESTS)
    return()
  endif()
  find_package(GTest REQUIRED)
  include(GoogleTest)
  add_executable(${T_NAME} ${T_SOURCES})
  target_link_libraries(${T_NAME} PRIVATE coex::testing GTest::gtest GTest::gtest_main ${T_LIBRARIES})
  target_compile_definitions(${T_NAME} PRIVATE COEX_TESTING_PLUGIN_DIR="${COEX_BUILD_PLUGIN_DIR}"
                                                ${T_DEFINITIONS})
  target_include_directories(${T_NAME} PRIVATE ${T_INCLUDES})
  target_compile_features(${T_NAME} PRIVATE cxx_std_20)
  if(CMAKE_LIBRARY_OUTPUT_DIRECTORY)
    set_target_properties(${T_NAME} PROPERTIES BUILD_RPATH "${CMAKE_LIBRARY_OUTPUT_DIRECTORY}")
  endif()
  foreach(p ${T_PLUGINS})
    add_dependencies(${T_NAME} coex_plugin_${p})
  endforeach()
  if(COMMAND coex_in_tree_test_options)
    coex_in_tree_test_options(${T_NAME})
  endif()
  gtest_discover_tests(${T_NAME} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 600)
endfunction()
