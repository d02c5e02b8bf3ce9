# What the tests inside the coex tree share beyond the installed SDK: the helpers of tests/support
# (temporary folders, running the coex binary) and where the build puts the binary, the plugins
# and the fixtures. coex_add_plugin_test calls this for every plugin test; tests/CMakeLists.txt
# uses it for the SDK, core, kit and integration suites.
set(COEX_FIXTURE_DIR ${CMAKE_BINARY_DIR}/fixtures)
function(coex_in_tree_test_options tgt)
  target_include_directories(${tgt} PRIVATE ${PROJECT_SOURCE_DIR}/tests/support)
  target_compile_definitions(${tgt} PRIVATE
    COEX_TEST_PLUGIN_DIR="${COEX_BUILD_PLUGIN_DIR}"
    COEX_TEST_FIXTURE_DIR="${COEX_FIXTURE_DIR}"
    COEX_TEST_BIN="$<TARGET_FILE:coex>"
    COEX_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endfunction()
