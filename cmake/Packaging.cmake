# Installing and packaging gotap like a Debian tool (included at the end of CMakeLists.txt).
#
#   cmake --install build --prefix /usr/local       # or DESTDIR=... cmake --install build
#   ninja -C build package_deb                      # build/gotap_<version>_<arch>.deb (CPack)
#   cd build && cpack -G DEB                        # the same
#
# Installed: bin/gotap, share/man/man1/gotap.1.gz (generated from `gotap --help` and every
# `gotap SUBCOMMAND --help` by scripts/gen_manpage.py), the bash completion, README.md in
# share/doc/gotap, and the systemd unit for `gotap serve` (deploy/systemd/; not enabled, and
# inert until /etc/default/gotap-serve exists, see deploy/README.md). Everything is in the
# install component "gotap", the only one the package takes.

include(GNUInstallDirs)
find_package(Python3 REQUIRED COMPONENTS Interpreter)
find_program(GOTAP_GZIP gzip REQUIRED)

# The man page, made by running the built binary.
set(gotap_man_dir ${CMAKE_BINARY_DIR}/man)
add_custom_command(
  OUTPUT ${gotap_man_dir}/gotap.1 ${gotap_man_dir}/gotap.1.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${gotap_man_dir}
  COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/gen_manpage.py
          $<TARGET_FILE:gotap> ${PROJECT_VERSION} ${gotap_man_dir}/gotap.1
  # -n: no name or time stamp in the .gz, so that identical pages give identical packages.
  COMMAND ${GOTAP_GZIP} -9 -n -f -k ${gotap_man_dir}/gotap.1
  DEPENDS gotap ${PROJECT_SOURCE_DIR}/scripts/gen_manpage.py
  COMMENT "Generating the gotap(1) man page from gotap --help"
  VERBATIM)
add_custom_target(gotap_manpage ALL DEPENDS ${gotap_man_dir}/gotap.1.gz)

install(TARGETS gotap RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT gotap)
install(FILES ${gotap_man_dir}/gotap.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
        COMPONENT gotap)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/bash-completion/gotap
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT gotap)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT gotap)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/gotap-serve.service
        DESTINATION lib/systemd/system COMPONENT gotap)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/gotap-serve.default
              ${PROJECT_SOURCE_DIR}/deploy/gotap.yaml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT gotap)

# The .deb. Cache variables, so that a packager can override them on the cmake line.
set(GOTAP_DEB_MAINTAINER "gotap maintainers <maintainers@users.noreply.h-seed-ae80d59e.example>"
    CACHE STRING "Maintainer field of the gotap .deb")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gotap)
set(CPACK_PACKAGE_VENDOR "gotap")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${GOTAP_DEB_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "trace live Go programs from outside with eBPF")
set(CPACK_PACKAGE_DESCRIPTION
    "gotap traces live Go programs with eBPF uprobes, the way Go itself sees\n"
    "them: functions by their Go names (also in stripped binaries), arguments\n"
    "and results decoded with the Go ABI, calls paired per goroutine, latency\n"
    "histograms and call graphs aggregated in the kernel, Chrome trace-event\n"
    "recordings, and a Prometheus agent (gotap serve). The traced program needs\n"
    "no changes or restarts.")
string(REPLACE ";" "" CPACK_PACKAGE_DESCRIPTION "${CPACK_PACKAGE_DESCRIPTION}")
set(CPACK_PACKAGE_INSTALL_DIRECTORY gotap)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Only what the install rules above put in component "gotap" (not whatever a dependency adds).
set(CPACK_INSTALL_CMAKE_PROJECTS "${CMAKE_BINARY_DIR};${PROJECT_NAME};gotap;/")
# RelWithDebInfo carries ~50 MB of DWARF: the package ships the stripped binary.
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_PACKAGE_NAME gotap)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # gotap_<version>_<arch>.deb: a native package
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # Depends: computed by dpkg-shlibdeps
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "bash-completion, man-db")
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)
# Directories the package owns get mode 0755 whatever the umask of the build.
set(CPACK_INSTALL_DEFAULT_DIRECTORY_PERMISSIONS
    OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)

# A native package's changelog.gz in /usr/share/doc/gotap (lintian wants one); its date honours
# SOURCE_DATE_EPOCH.
string(TIMESTAMP GOTAP_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${PROJECT_SOURCE_DIR}/cmake/debian-changelog.in
               ${CMAKE_BINARY_DIR}/debian/changelog @ONLY)
add_custom_command(
  OUTPUT ${CMAKE_BINARY_DIR}/debian/changelog.gz
  COMMAND ${GOTAP_GZIP} -9 -n -f -k ${CMAKE_BINARY_DIR}/debian/changelog
  DEPENDS ${CMAKE_BINARY_DIR}/debian/changelog
  VERBATIM)
add_custom_target(gotap_deb_changelog ALL DEPENDS ${CMAKE_BINARY_DIR}/debian/changelog.gz)
install(FILES ${CMAKE_BINARY_DIR}/debian/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR}
        COMPONENT gotap)

include(CPack)

# ninja package_deb: the .deb from a complete build of what it contains.
add_custom_target(package_deb
  COMMAND ${CMAKE_CPACK_COMMAND} -G DEB --config ${CMAKE_BINARY_DIR}/CPackConfig.cmake
  WORKING_DIRECTORY ${CMAKE_BINARY_DIR}
  DEPENDS gotap gotap_manpage gotap_deb_changelog
  COMMENT "Building the gotap .deb with CPack"
  VERBATIM)
