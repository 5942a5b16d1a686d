# Helpers for the CUnit suites.

# Paths the suites need, passed as compile definitions.
set(TACHO_TEST_DEFINITIONS
  TACHO_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
  TACHO_TEST_BINARY_DIR="${CMAKE_BINARY_DIR}"
  TACHO_TEST_BIN_DIR="${CMAKE_BINARY_DIR}/bin"
  TACHO_TEST_SINK_DIR="${TACHO_OUTPUT_SINKDIR}"
  TACHO_TEST_EXTRA_SINK_DIR="${CMAKE_BINARY_DIR}/test-sinks"
  _GNU_SOURCE)

add_library(tacho_test_support STATIC
  ${PROJECT_SOURCE_DIR}/tests/support/tacho_test.c)
target_include_directories(tacho_test_support PUBLIC
  ${PROJECT_SOURCE_DIR}/tests/support)
target_link_libraries(tacho_test_support PUBLIC PkgConfig::CUNIT)
target_compile_definitions(tacho_test_support PUBLIC ${TACHO_TEST_DEFINITIONS})

# A suite over core internals: links tacho_static and sees core/*.h.
function(tacho_add_unit_test src)
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/core)
  target_link_libraries(${name} PRIVATE tacho_static tacho_test_support)
  tacho_target_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600)
endfunction()

# A suite over the public API and the real sinks: links the shared library
# and loads the real .so files through the real loader. json-c is linked so
# suites can parse the JSON a sink wrote (libtacho links it privately).
function(tacho_add_plugin_test src)
  get_filename_component(name ${src} NAME_WE)
  add_executable(${name} ${src})
  target_link_libraries(${name} PRIVATE tacho::tacho tacho_test_support
                        Threads::Threads PkgConfig::JSONC)
  tacho_target_warnings(${name})
  get_property(sinks GLOBAL PROPERTY TACHO_SINK_TARGETS)
  if(sinks)
    add_dependencies(${name} ${sinks})
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 600)
endfunction()
