# Warning flags and sanitizers applied to every tacho target, and the one
# function that builds every sink the same way.

set(TACHO_WARNINGS -Wall -Wextra -Wshadow -Wstrict-prototypes
    -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter)
if(TACHO_WERROR)
  list(APPEND TACHO_WARNINGS -Werror)
endif()

# Fuzzing (tests/fuzz): every target gets libFuzzer's coverage
# instrumentation, and the sanitizers default to address,undefined.
if(TACHO_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TACHO_FUZZ needs clang's libFuzzer: configure with "
                        "CC=clang (Debian: clang, libclang-rt-14-dev)")
  endif()
  if(NOT TACHO_SANITIZE)
    set(TACHO_SANITIZE address,undefined)
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# Shared objects refuse undefined symbols, except in a fuzzing build: there
# clang's sanitizer and coverage runtimes live in the fuzzer executable.
if(TACHO_FUZZ)
  set(TACHO_NO_UNDEFINED "")
else()
  set(TACHO_NO_UNDEFINED -Wl,--no-undefined)
endif()

if(TACHO_SANITIZE)
  set(TACHO_SANITIZE_FLAGS -fsanitize=${TACHO_SANITIZE} -fno-omit-frame-pointer)
  if(TACHO_SANITIZE MATCHES "undefined")
    list(APPEND TACHO_SANITIZE_FLAGS -fno-sanitize-recover=undefined)
  endif()
  add_compile_options(${TACHO_SANITIZE_FLAGS})
  add_link_options(${TACHO_SANITIZE_FLAGS})
endif()

# Applies tacho's warnings to a target.
function(tacho_target_warnings target)
  target_compile_options(${target} PRIVATE ${TACHO_WARNINGS})
endfunction()

# tacho_add_sink(<name> SOURCES <files...> [LIBS <targets...>])
# Builds plugins/<name> as tacho_sink_<name>.so: a MODULE with no lib
# prefix, hidden visibility, no undefined symbols, linked to tacho::tacho,
# written to <build>/<libdir>/tacho/sinks and installed beside the others.
function(tacho_add_sink name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  set(target tacho_sink_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME tacho_sink_${name}
    LIBRARY_OUTPUT_DIRECTORY ${TACHO_OUTPUT_SINKDIR}
    C_VISIBILITY_PRESET hidden
    INSTALL_RPATH "$ORIGIN/../..")
  target_link_options(${target} PRIVATE ${TACHO_NO_UNDEFINED})
  target_link_libraries(${target} PRIVATE tacho::tacho ${ARG_LIBS})
  tacho_target_warnings(${target})
  install(TARGETS ${target} LIBRARY DESTINATION ${TACHO_INSTALL_SINKDIR})
  set_property(GLOBAL APPEND PROPERTY TACHO_SINK_TARGETS ${target})
endfunction()
