# coex_add_plugin(NAME <name> KIND <search_space|hardware_target|controller|estimator>
#                 SOURCES <files...> [TORCH] [LIBRARIES <libs...>] [OUTPUT_DIR <dir>] [NO_MANIFEST])
#
# Builds one plugin as a MODULE library named coex_plugin_<name>.so in the plugin folder and
# generates its manifest (<name>.coex-plugin.json) right after linking, by asking `coex manifest`
# to load it with every loader check. TORCH links libcoex_torch and LibTorch with the shared
# precompiled header.
function(coex_add_plugin)
  cmake_parse_arguments(P "TORCH;NO_MANIFEST" "NAME;KIND;OUTPUT_DIR" "SOURCES;LIBRARIES" ${ARGN})
  if(NOT P_NAME OR NOT P_KIND OR NOT P_SOURCES)
    message(FATAL_ERROR "coex_add_plugin: NAME, KIND and SOURCES are required")
  endif()
  if(NOT P_OUTPUT_DIR)
    set(P_OUTPUT_DIR ${COEX_BUILD_PLUGIN_DIR})
  endif()
  set(tgt coex_plugin_${P_NAME})
  add_library(${tgt} MODULE ${P_SOURCES})
  set_target_properties(${tgt} PROPERTIES
    PREFIX ""
    OUTPUT_NAME coex_plugin_${P_NAME}
    LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR}
    BUILD_RPATH "${CMAKE_LIBRARY_OUTPUT_DIRECTORY}"
    INSTALL_RPATH "$ORIGIN/../..")
  target_link_libraries(${tgt} PRIVATE coex::core ${P_LIBRARIES})
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
  if(NOT P_NO_MANIFEST)
    add_dependencies(${tgt} coex)
    add_custom_command(TARGET ${tgt} POST_BUILD
      COMMAND $<TARGET_FILE:coex> manifest $<TARGET_FILE:${tgt}> ${P_OUTPUT_DIR}/${P_NAME}.coex-plugin.json
      COMMENT "Writing manifest of coex plugin ${P_NAME}"
      VERBATIM)
  endif()
endfunction()
