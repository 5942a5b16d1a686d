# Install rules beyond the targets themselves: pkg-config file, CMake
# package (version-checked, SameMajorVersion), example configs, docs and
# man pages.
include(CMakePackageConfigHelpers)

file(READ ${PROJECT_SOURCE_DIR}/include/tacho/version.h _tacho_version_h)
string(REGEX MATCH "TACHO_SINK_ABI_MAJOR ([0-9]+)" _ ${_tacho_version_h})
set(TACHO_SINK_ABI_MAJOR ${CMAKE_MATCH_1})

# From <prefix>/<libdir>/pkgconfig back up to <prefix>.
string(REGEX REPLACE "[^/]+" ".." TACHO_PC_UP "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
configure_file(${PROJECT_SOURCE_DIR}/cmake/tacho.pc.in
               ${CMAKE_BINARY_DIR}/tacho.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/tacho.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

set(TACHO_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tacho)
install(EXPORT tachoTargets NAMESPACE tacho:: DESTINATION ${TACHO_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tachoConfig.cmake.in
  ${CMAKE_BINARY_DIR}/tachoConfig.cmake
  INSTALL_DESTINATION ${TACHO_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR TACHO_INSTALL_SINKDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/tachoConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/tachoConfig.cmake
              ${CMAKE_BINARY_DIR}/tachoConfigVersion.cmake
        DESTINATION ${TACHO_CMAKE_DIR})

install(DIRECTORY ${PROJECT_SOURCE_DIR}/conf/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/tacho/examples/conf
        FILES_MATCHING PATTERN "*.conf")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/
        DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.md" PATTERN "*.json")
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB TACHO_MAN1 ${PROJECT_SOURCE_DIR}/docs/man/*.1)
file(GLOB TACHO_MAN5 ${PROJECT_SOURCE_DIR}/docs/man/*.5)
file(GLOB TACHO_MAN7 ${PROJECT_SOURCE_DIR}/docs/man/*.7)
install(FILES ${TACHO_MAN1} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${TACHO_MAN5} DESTINATION ${CMAKE_INSTALL_MANDIR}/man5)
install(FILES ${TACHO_MAN7} DESTINATION ${CMAKE_INSTALL_MANDIR}/man7)
