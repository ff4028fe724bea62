# The Debian package: `cpack -G DEB` in a build directory writes archer_<version>_amd64.deb —
# the CLI (the web UI is compiled into it), the libraries, headers and CMake package files
# (find_package(archer)), the Python package (`import archer`) and the docs. `apt install
# ./archer_<version>_amd64.deb` pulls in what they need from Debian: the CLI's shared libraries
# (computed by dpkg-shlibdeps) and the development packages find_package(archer) needs.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME archer)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Archer")
set(CPACK_PACKAGE_CONTACT "Archer developers <archer@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "neural architecture search, compatible with NNI's classic NAS")
set(CPACK_PACKAGE_DESCRIPTION
    "Archer runs neural architecture search experiments: a trial declares its search space with\n\
LayerChoice and InputChoice (LibTorch or PyTorch), tuners propose architectures, local, SSH\n\
and Slurm training services run them. NNI's formats, trial protocol, configs and algorithms\n\
work unchanged.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_SET_DESTDIR ON)  # install() code sees the prefix /usr (the Python directory)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # archer_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(_archer_deb_depends
    "python3 (>= 3.8), bash, procps, cmake, pkg-config, g++, nlohmann-json3-dev, libyaml-cpp-dev, \
libsqlite3-dev, libcpp-httplib-dev, zlib1g-dev")
if(ARCHER_WITH_TORCH)
  string(APPEND _archer_deb_depends ", libtorch-dev")
endif()
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${_archer_deb_depends}")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3-torch, openssh-client")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "slurm-client")
# The static libraries are installed without their debug information in the package.
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    foreach(_lib archer_core archer_torch)
      set(_a \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/lib\${_lib}.a\")
      if(EXISTS \"\${_a}\")
        execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug \"\${_a}\")
      endif()
    endforeach()
  endif()
")
# Debian's copyright file.
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/copyright
"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: archer

Files: *
Copyright: the Archer developers
License: MIT
")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
include(CPack)
