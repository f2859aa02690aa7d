# goc_add_goc_tests(<prefix> <glob>...) — one CTest test per .goc file, run by
# tests/goc_test.sh according to the recipe on the file's first line.
function(goc_add_goc_tests prefix)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT" "GLOBS;CC_FLAGS")
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 120)
  endif()
  if(GOC_SANITIZE)
    # the programs link the sanitized libgoc of this build
    list(APPEND arg_CC_FLAGS -fsanitize=${GOC_SANITIZE} -fno-omit-frame-pointer)
  endif()
  file(GLOB files CONFIGURE_DEPENDS ${arg_GLOBS})
  list(FILTER files EXCLUDE REGEX "_test\\.goc$")   # goc tests: goc_add_test
  foreach(f ${files})
    get_filename_component(name ${f} NAME_WE)
    add_test(NAME ${prefix}.${name}
      COMMAND ${PROJECT_SOURCE_DIR}/tests/goc_test.sh $<TARGET_FILE:goc> ${f} ${arg_CC_FLAGS})
    set_tests_properties(${prefix}.${name} PROPERTIES TIMEOUT ${arg_TIMEOUT})
  endforeach()
endfunction()
