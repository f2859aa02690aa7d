# cmake -DCC=... -DRUNNER=... -DSOURCE=... -DOUTPUT=... -P check_system_headers.cmake
# Preprocesses SOURCE with the C compiler, then has the corpus runner check
# that the result parses with no ERROR or MISSING node.
execute_process(
  COMMAND ${CC} -E -P ${SOURCE} -o ${OUTPUT}
  RESULT_VARIABLE cc_status)
if(NOT cc_status EQUAL 0)
  message(FATAL_ERROR "${CC} -E ${SOURCE} failed: ${cc_status}")
endif()
execute_process(
  COMMAND ${RUNNER} --check-clean ${OUTPUT}
  RESULT_VARIABLE runner_status)
if(NOT runner_status EQUAL 0)
  message(FATAL_ERROR "${OUTPUT} does not parse cleanly")
endif()
