# `cpack -G DEB` (in the build directory, after building): dupipe_<version>_amd64.deb of the
# install tree under /usr, its shared-library dependencies computed by dpkg-shlibdeps, binaries
# stripped, the changelog and copyright where Debian policy puts them. lintian checks it.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dupipe)
set(CPACK_PACKAGE_VERSION ${DUPIPE_VERSION_FULL})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "parallel downloader and duplicate file finder")
# The extended description: CPack puts the summary above it and indents each line by one space
# (so "." is the blank line between paragraphs).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "dupipe downloads the URLs of a list with parallel fetchers (libcurl) and
finds the duplicates among the files, or searches directories for them, as
a pipeline of small processes connected by named FIFOs or shared-memory
queues: producer, fetchers, hashers, aggregator, run by a supervisor that
restarts dead stages. It writes a JSON, text and HTML report.
.
Each stage speaks a documented line protocol, so any of them can be
replaced by another program; dupipe-top shows a running pipeline live.")
set(DUPIPE_PACKAGE_MAINTAINER "dupipe developers <dupipe@example.org>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT ${DUPIPE_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${DUPIPE_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # dupipe_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)

# Debian's changelog, in /usr/share/doc/dupipe for the package (dupipe's history is its git log).
string(TIMESTAMP changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
configure_file(${CMAKE_CURRENT_SOURCE_DIR}/debian/changelog.in ${CMAKE_CURRENT_BINARY_DIR}/changelog
               @ONLY)
add_custom_command(OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/changelog.gz
  COMMAND gzip -9nc ${CMAKE_CURRENT_BINARY_DIR}/changelog > ${CMAKE_CURRENT_BINARY_DIR}/changelog.gz
  DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/changelog VERBATIM)
add_custom_target(dupipe_changelog ALL DEPENDS ${CMAKE_CURRENT_BINARY_DIR}/changelog.gz)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})
