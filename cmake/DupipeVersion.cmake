# DUPIPE_VERSION_FULL: the version every program's --version prints, the fetcher's User-Agent
# carries and the Debian package is numbered by. It is the project version, and in a git
# checkout also what `git describe` says of it: "0.1.0" on a tag v0.1.0, "0.1.0+3.gabc1234" three
# commits after it, "0.1.0+git.abc1234" where no tag is reachable, ".dirty" added for uncommitted
# changes. Only '+' and '.' join the parts, so the string is a valid Debian upstream version.
# Computed at configure time (a commit does not re-run CMake: configure again to renumber).
set(DUPIPE_VERSION_FULL ${PROJECT_VERSION})
find_package(Git QUIET)
if(GIT_FOUND AND EXISTS ${PROJECT_SOURCE_DIR}/.git)
  execute_process(
    COMMAND ${GIT_EXECUTABLE} describe --tags --always --dirty=.dirty --match "v[0-9]*"
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    OUTPUT_VARIABLE dupipe_describe OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET RESULT_VARIABLE dupipe_describe_rc)
  if(dupipe_describe_rc EQUAL 0)
    if(dupipe_describe MATCHES "^v[0-9][0-9.]*-([0-9]+)-g([0-9a-f]+)(\\.dirty)?$")
      string(APPEND DUPIPE_VERSION_FULL "+${CMAKE_MATCH_1}.g${CMAKE_MATCH_2}${CMAKE_MATCH_3}")
    elseif(dupipe_describe MATCHES "^v[0-9][0-9.]*(\\.dirty)?$")
      string(APPEND DUPIPE_VERSION_FULL "${CMAKE_MATCH_1}")
    elseif(dupipe_describe MATCHES "^[0-9a-f]+(\\.dirty)?$")
      string(APPEND DUPIPE_VERSION_FULL "+git.${dupipe_describe}")
    endif()
  endif()
endif()
message(STATUS "dupipe version ${DUPIPE_VERSION_FULL}")
