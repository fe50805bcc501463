# gosymdump (tests/tools/gosymdump) built by every toolchain of the version matrix, as
# ${GOTAP_TOOLS_DIR}/gosymdump-go<version>: the tests compare gotap's function list for a binary
# with what debug/gosym of the toolchain that built it says. Included from
# tests/fixtures/CMakeLists.txt after the matrix is defined (it reuses its toolchains and cache).
set(GOTAP_TOOLS_DIR ${CMAKE_BINARY_DIR}/tools)
set(gosymdump_dir ${PROJECT_SOURCE_DIR}/tests/tools/gosymdump)
file(MAKE_DIRECTORY ${GOTAP_TOOLS_DIR})
set(gosymdump_files)
foreach(version IN LISTS GOTAP_GO_MATRIX_VERSIONS)
  if(version STREQUAL "1.19")
    set(go_exe ${GOTAP_GO})
  else()
    set(go_exe ${go_matrix_dir}/go-${version}/bin/go)
  endif()
  set(out ${GOTAP_TOOLS_DIR}/gosymdump-go${version})
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E env --unset=GOFLAGS --unset=GOROOT --unset=GOOS --unset=GOARCH
            --unset=GOAMD64 --unset=GOEXPERIMENT GOENV=off GO111MODULE=on GOWORK=off
            GOTOOLCHAIN=local GOPROXY=off GOSUMDB=off GOCACHE=${go_cache} GOPATH=${go_path}
            CGO_ENABLED=0 ${go_exe} build -buildvcs=false -o ${out}.tmp .
    COMMAND ${CMAKE_COMMAND} -E rename ${out}.tmp ${out}
    WORKING_DIRECTORY ${gosymdump_dir}
    DEPENDS ${gosymdump_dir}/main.go ${gosymdump_dir}/go.mod
    COMMENT "Building gosymdump with Go ${version}"
    JOB_POOL gotap_go
    VERBATIM)
  list(APPEND gosymdump_files ${out})
endforeach()
add_custom_target(gosymdump_tools DEPENDS ${gosymdump_files})
add_dependencies(go_fixtures gosymdump_tools)
