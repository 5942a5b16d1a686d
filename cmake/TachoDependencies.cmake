# Finds tacho's dependencies: all are Debian packages (scripts/deps.sh names
# them), found through pkg-config where they ship a .pc file.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

pkg_check_modules(LIBCONFIG REQUIRED IMPORTED_TARGET libconfig)
pkg_check_modules(JSONC REQUIRED IMPORTED_TARGET json-c)
pkg_check_modules(MICROHTTPD REQUIRED IMPORTED_TARGET libmicrohttpd)
pkg_check_modules(LIBCURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)

# libltdl ships no pkg-config file.
find_path(LTDL_INCLUDE_DIR ltdl.h)
find_library(LTDL_LIBRARY ltdl)
if(NOT LTDL_INCLUDE_DIR OR NOT LTDL_LIBRARY)
  message(FATAL_ERROR "libltdl not found: install the Debian package libltdl-dev")
endif()
add_library(tacho_ltdl INTERFACE)
target_include_directories(tacho_ltdl INTERFACE ${LTDL_INCLUDE_DIR})
target_link_libraries(tacho_ltdl INTERFACE ${LTDL_LIBRARY})

if(TACHO_BUILD_TESTS)
  pkg_check_modules(CUNIT REQUIRED IMPORTED_TARGET cunit)
endif()
