# GocDiscoverTests.cmake — run by goc_add_test after each build of a test
# binary: lists its tests (-test.list) and writes one add_test per test into
# CTEST_FILE, which CTest includes (as gtest_discover_tests does).
# In: TEST_EXECUTABLE, TEST_PREFIX, CTEST_FILE, TEST_TIMEOUT, TEST_CPU
# (comma-separated GOC_MAXPROCS values, may be empty), TEST_ARGS.
execute_process(COMMAND "${TEST_EXECUTABLE}" -test.list "^Test"
  OUTPUT_VARIABLE out RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} -test.list failed (${rc}): ${err}")
endif()
string(REPLACE "\n" ";" names "${out}")
set(text "")
foreach(t IN LISTS names)
  if(t STREQUAL "")
    continue()
  endif()
  set(args -test.run "^${t}$" -test.timeout "${TEST_TIMEOUT}s")
  if(TEST_CPU)
    list(APPEND args -test.cpu "${TEST_CPU}")
  endif()
  list(APPEND args ${TEST_ARGS})
  set(quoted "")
  foreach(a IN LISTS args)
    string(APPEND quoted " [==[${a}]==]")
  endforeach()
  string(APPEND text "add_test([==[${TEST_PREFIX}${t}]==] [==[${TEST_EXECUTABLE}]==]${quoted})\n")
  math(EXPR ctest_timeout "${TEST_TIMEOUT} + 30")
  string(APPEND text "set_tests_properties([==[${TEST_PREFIX}${t}]==] PROPERTIES TIMEOUT ${ctest_timeout}")
  if(TEST_CPU)
    string(APPEND text " LABELS [==[cpu=${TEST_CPU}]==]")
  endif()
  string(APPEND text ")\n")
endforeach()
file(WRITE "${CTEST_FILE}" "${text}")
