# GocFunctions.cmake — build .goc files (extended C) in CMake targets.
#
#   goc_add_executable(<name> [EXCLUDE_FROM_ALL] <source>...
#                      [LINK_GOC_LIBRARIES <goc library>...])
#   goc_add_library(<name> [STATIC|SHARED|OBJECT] [EXCLUDE_FROM_ALL] <source>...
#                   [LINK_GOC_LIBRARIES <goc library>...])
#   goc_target_sources(<target> <source>...)
#
# Sources are .goc and plain C, mixed. Each .goc gets one custom command that
# runs `goc transform` into <bindir>/goc/<target>/<path>.goc.c, which replaces
# the .goc in the target's sources. The transform sees the target's own
# include directories, definitions, C standard and (some) compile options, so
# its libclang check matches the real compile, and writes a depfile naming
# every header it read (edits to headers rerun it). The target links
# goc::runtime, which brings the goc include directory.
#
# The .goc files of one target are lowered knowing each other (--peer). Each
# also writes an index of the goroutine functions it defines (--index-out,
# <path>.goc.idx); the target's indexes are its GOC_INDEXES property.
# Goroutine functions of another target are only lowered as goroutine calls
# when their index is read: name the goc libraries a target calls into with
# LINK_GOC_LIBRARIES. That links them (PUBLIC for libraries, PRIVATE for
# executables) and passes their indexes — and those of the goc libraries they
# were given with LINK_GOC_LIBRARIES, transitively — with --index. The list is
# collected when the whole project has been configured, so a library may be
# defined, or get more .goc files, after its users. The indexes are also
# DEPENDS of the transform: the build graph brings a stale index up to date
# before anything reads it; an index whose content did not change keeps its
# time, so under Ninja the transforms that read it do not rerun. A goc library
# linked with plain target_link_libraries() links, but the transform does not
# know its goroutine functions: calls to them go through their plain-C entry,
# which runs the callee to completion on the calling thread instead of
# suspending the calling goroutine.
#
# An executable or shared library, once linked, goes through `goc
# debuginfo`: the debug info of its goroutine functions' arrays and
# address-taken locals then points at their live storage, for gdb.
#
# Not seen by the transform: $<COMPILE_LANGUAGE:...> parts of the target's
# definitions and options (they are empty outside a compile). Every other
# compile option is, joined or separate or as a `SHELL:` item.
#
# The goc tool is the goc::goc target: the imported executable of the
# installed package, or an alias of the goc target when the goc source tree
# is part of the build (add_subdirectory).
include_guard(GLOBAL)
set(_GOC_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")
# Depfile paths as Ninja needs them, whatever the project's minimum version
# (the functions below keep the policies of this file).
cmake_policy(SET CMP0116 NEW)

function(goc_add_executable name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "EXCLUDE_FROM_ALL" "" "LINK_GOC_LIBRARIES")
  set(exclude)
  if(arg_EXCLUDE_FROM_ALL)
    set(exclude EXCLUDE_FROM_ALL)
  endif()
  add_executable(${name} ${exclude})
  _goc_setup_target(${name} PRIVATE "${arg_LINK_GOC_LIBRARIES}")
  goc_target_sources(${name} ${arg_UNPARSED_ARGUMENTS})
  _goc_debuginfo(${name})
endfunction()

function(goc_add_library name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "STATIC;SHARED;OBJECT;EXCLUDE_FROM_ALL" ""
                        "LINK_GOC_LIBRARIES")
  set(kind)
  foreach(k STATIC SHARED OBJECT EXCLUDE_FROM_ALL)
    if(arg_${k})
      list(APPEND kind ${k})
    endif()
  endforeach()
  add_library(${name} ${kind})
  _goc_setup_target(${name} PUBLIC "${arg_LINK_GOC_LIBRARIES}")
  goc_target_sources(${name} ${arg_UNPARSED_ARGUMENTS})
  if(arg_SHARED)
    _goc_debuginfo(${name})
  endif()
endfunction()

# After <target> links, `goc debuginfo` points the debug info of its
# goroutine functions' arrays and address-taken locals at their live
# storage, so that gdb finds it by itself (a static library's objects are
# rewritten where they are linked, by goc_add_executable).
function(_goc_debuginfo target)
  _goc_tool(goc)
  add_custom_command(TARGET ${target} POST_BUILD COMMAND ${goc} debuginfo $<TARGET_FILE:${target}> VERBATIM)
endfunction()

function(goc_target_sources target)
  if(NOT TARGET ${target})
    message(FATAL_ERROR "goc_target_sources: ${target} is not a target")
  endif()
  get_target_property(target_dir ${target} SOURCE_DIR)
  if(NOT target_dir STREQUAL CMAKE_CURRENT_SOURCE_DIR)
    message(FATAL_ERROR "goc_target_sources(${target}): call it in the directory that "
                        "created the target (${target_dir})")
  endif()
  get_target_property(is_goc ${target} GOC_TARGET)
  if(NOT is_goc)
    _goc_setup_target(${target} PRIVATE "")
  endif()
  _goc_tool(tool)

  _goc_compile_flags(${target})
  set(t ${target})
  set(peers_all "$<TARGET_PROPERTY:${t},GOC_SOURCES>")
  set(dep_indexes "$<TARGET_PROPERTY:${t},GOC_LINKED_INDEXES>")
  set(index_args "$<$<BOOL:${dep_indexes}>:--index;$<JOIN:${dep_indexes},;--index;>>")
  # gcc's budgets for its walks over memory in lowered C (driver.c's
  # lowered_c_gcc_budgets say why)
  set(gnu "$<C_COMPILER_ID:GNU>")
  set(gcc_budgets "$<${gnu}:--param=dse-max-alias-queries-per-store=8>"
                  "$<${gnu}:--param=sccvn-max-alias-queries-per-access=32>"
                  "$<${gnu}:--param=max-cselib-memory-locations=100>")

  foreach(src IN LISTS ARGN)
    get_filename_component(src "${src}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(NOT src MATCHES "\\.goc$")
      target_sources(${target} PRIVATE "${src}")
      continue()
    endif()
    file(RELATIVE_PATH rel "${CMAKE_CURRENT_SOURCE_DIR}" "${src}")
    if(rel MATCHES "^\\.\\./")
      get_filename_component(rel "${src}" NAME)
    endif()
    set(base "${CMAKE_CURRENT_BINARY_DIR}/goc/${target}/${rel}")
    get_filename_component(src_dir "${src}" DIRECTORY)
    get_filename_component(out_dir "${base}" DIRECTORY)
    file(MAKE_DIRECTORY "${out_dir}")
    # The lowered C lives in the build tree: #include "x.h" next to the .goc
    # is found through -iquote <dir of the .goc>.
    string(REGEX REPLACE "([][+.*?^$(){}|\\\\])" "\\\\\\1" src_re "${src}")
    set(peers "$<FILTER:${peers_all},EXCLUDE,^${src_re}$>")
    add_custom_command(
      OUTPUT "${base}.c" "${base}.idx"
      COMMAND "$<TARGET_FILE:${tool}>" transform "${src}" -o "${base}.c"
              "$<$<BOOL:${peers}>:--peer;$<JOIN:${peers},;--peer;>>"
              -MF "${base}.d" --index-out "${base}.idx.new" "${index_args}"
              -- -iquote "${src_dir}" "${lang_flags}" "${std_flag}" "${inc_flags}" "${def_flags}" "${opts}"
      # An unchanged index keeps its time: Ninja (restat) then leaves the
      # transforms that read it alone.
      COMMAND "${CMAKE_COMMAND}" -E copy_if_different "${base}.idx.new" "${base}.idx"
      DEPENDS ${tool} "${src}" "${dep_indexes}"
      DEPFILE "${base}.d"
      COMMENT "goc transform ${rel} (${target})"
      VERBATIM COMMAND_EXPAND_LISTS)
    set_source_files_properties("${base}.c" TARGET_DIRECTORY ${target} PROPERTIES
      GENERATED TRUE
      # -Wno-pedantic: the lowered C is GNU C (driver.c's LOWERED_C_NOT_ISO)
      COMPILE_OPTIONS "-iquote;${src_dir};-Werror=incompatible-pointer-types;-Wno-pedantic;${gcc_budgets}")
    target_sources(${target} PRIVATE "${base}.c")
    _goc_launcher(${target} ${tool})
    set_property(TARGET ${target} APPEND PROPERTY GOC_SOURCES "${src}")
    set_property(TARGET ${target} APPEND PROPERTY GOC_INDEXES "${base}.idx")
  endforeach()
endfunction()

# The target's compile flags, as the C compiler will see them, in the
# caller's std_flag, inc_flags, def_flags and opts. (Each is one argument of
# a command: quoted, split by COMMAND_EXPAND_LISTS.)
macro(_goc_compile_flags t)
  set(incs "$<FILTER:$<TARGET_PROPERTY:${t},INCLUDE_DIRECTORIES>,INCLUDE,.>")
  set(defs "$<FILTER:$<TARGET_PROPERTY:${t},COMPILE_DEFINITIONS>,INCLUDE,.>")
  # All of them, as CMake holds them (`SHELL:` items whole: the transformer
  # splits them, cmake_flags.c): the preprocessor sees what the compile
  # does (-O2's __OPTIMIZE__, -march's macros, a separate -include FILE),
  # and the transformer keeps for its libclang check the ones that change
  # the language.
  set(opts "$<TARGET_PROPERTY:${t},COMPILE_OPTIONS>")
  set(std "$<TARGET_PROPERTY:${t},C_STANDARD>")
  set(ext "$<TARGET_PROPERTY:${t},C_EXTENSIONS>")
  set(std_flag "$<$<BOOL:${std}>:-std=$<IF:$<OR:$<STREQUAL:${ext},>,$<BOOL:${ext}>>,gnu,c>${std}>")
  set(inc_flags "$<$<BOOL:${incs}>:-I$<JOIN:${incs},;-I>>")
  set(def_flags "$<$<BOOL:${defs}>:-D$<JOIN:${defs},;-D>>")
  # CMAKE_C_FLAGS and CMAKE_C_FLAGS_<CONFIG>, which CMake adds to every C
  # compile: a Release build's -DNDEBUG turns off assert() in the .goc
  # code too (their values when the target's sources are added)
  separate_arguments(lang_flags NATIVE_COMMAND "${CMAKE_C_FLAGS}")
  set(_goc_configs ${CMAKE_CONFIGURATION_TYPES} ${CMAKE_BUILD_TYPE} Debug Release RelWithDebInfo MinSizeRel)
  list(REMOVE_DUPLICATES _goc_configs)
  foreach(_goc_config IN LISTS _goc_configs)
    string(TOUPPER "${_goc_config}" _goc_upper)
    separate_arguments(_goc_config_flags NATIVE_COMMAND "${CMAKE_C_FLAGS_${_goc_upper}}")
    if(_goc_config_flags)
      string(REPLACE "," "$<COMMA>" _goc_config_flags "${_goc_config_flags}")
      string(REPLACE ">" "$<ANGLE-R>" _goc_config_flags "${_goc_config_flags}")
      list(APPEND lang_flags "$<$<CONFIG:${_goc_config}>:${_goc_config_flags}>")
    endif()
  endforeach()
endmacro()

# goc_add_test(<name> <source>... [TIMEOUT <seconds>] [CPU <n>...] [RACE]
#              [LINK_GOC_LIBRARIES <lib>...] [ARGS <test flag>...])
# Builds the test binary of the *_test.goc files among the sources (and the
# .goc/.c files they test), as `goc test` does, and registers each of its
# test functions as the CTest test <name>.<TestName>, found after the build
# by running the binary with -test.list (as gtest_discover_tests). TIMEOUT
# (default 600) is each CTest test's and the binary's -timeout; CPU runs
# each test under those GOC_MAXPROCS values (-test.cpu); RACE builds with
# ThreadSanitizer and the runtime built with it.
function(goc_add_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "RACE" "TIMEOUT" "CPU;LINK_GOC_LIBRARIES;ARGS")
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT 600)
  endif()
  goc_add_executable(${name} ${arg_UNPARSED_ARGUMENTS} LINK_GOC_LIBRARIES ${arg_LINK_GOC_LIBRARIES})
  _goc_tool(tool)
  _goc_compile_flags(${name})
  set(gocs)
  set(dirs)
  foreach(src IN LISTS arg_UNPARSED_ARGUMENTS)
    get_filename_component(src "${src}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    if(src MATCHES "\\.goc$")
      list(APPEND gocs "${src}")
      get_filename_component(d "${src}" DIRECTORY)
      list(APPEND dirs -iquote "${d}")
    endif()
  endforeach()
  set(main "${CMAKE_CURRENT_BINARY_DIR}/goc/${name}/goc_testmain.c")
  add_custom_command(
    OUTPUT "${main}"
    COMMAND "$<TARGET_FILE:${tool}>" testmain ${gocs} -o "${main}" --pkg ${name}
            -- ${dirs} "${lang_flags}" "${std_flag}" "${inc_flags}" "${def_flags}" "${opts}"
    DEPENDS ${tool} ${gocs}
    COMMENT "goc testmain (${name})"
    VERBATIM COMMAND_EXPAND_LISTS)
  target_sources(${name} PRIVATE "${main}")
  if(arg_RACE)
    target_compile_options(${name} PRIVATE -fsanitize=thread -g)
    target_link_options(${name} PRIVATE -fsanitize=thread)
    if(TARGET goc::runtime_race)
      get_target_property(libs ${name} LINK_LIBRARIES)
      list(TRANSFORM libs REPLACE "^goc::runtime$" "goc::runtime_race")
      set_property(TARGET ${name} PROPERTY LINK_LIBRARIES "${libs}")
    endif()
  endif()
  set(ctest_file "${CMAKE_CURRENT_BINARY_DIR}/${name}_tests.cmake")
  string(REPLACE ";" "," cpu "${arg_CPU}")
  add_custom_command(TARGET ${name} POST_BUILD
    COMMAND "${CMAKE_COMMAND}" -D "TEST_EXECUTABLE=$<TARGET_FILE:${name}>" -D "TEST_PREFIX=${name}."
            -D "CTEST_FILE=${ctest_file}" -D "TEST_TIMEOUT=${arg_TIMEOUT}" -D "TEST_CPU=${cpu}"
            -D "TEST_ARGS=${arg_ARGS}" -P "${_GOC_CMAKE_DIR}/GocDiscoverTests.cmake"
    BYPRODUCTS "${ctest_file}"
    VERBATIM)
  # CTest reads the list when it runs; before the first build it is absent.
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${name}_include.cmake")
  file(WRITE "${include_file}"
    "if(EXISTS [[${ctest_file}]])\n  include([[${ctest_file}]])\nelse()\n"
    "  add_test([[${name}_NOT_BUILT]] [[${name}_NOT_BUILT]])\nendif()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()

# Marks <target> as a goc target: links goc::runtime and the goc libraries
# whose goroutine functions its .goc files call.
function(_goc_setup_target target scope goc_libs)
  set_target_properties(${target} PROPERTIES GOC_TARGET TRUE)
  set_property(TARGET ${target} PROPERTY GOC_SOURCES "")
  set_property(TARGET ${target} PROPERTY GOC_INDEXES "")
  set_property(TARGET ${target} PROPERTY GOC_LINK_GOC_LIBRARIES "${goc_libs}")
  set_property(TARGET ${target} PROPERTY GOC_LINKED_INDEXES "")
  target_link_libraries(${target} ${scope} goc::runtime ${goc_libs})
  if(goc_libs)
    # The libraries may get more .goc files, or be defined, later: their
    # indexes are collected once the whole project is configured.
    # (DEFER evaluates its arguments late: EVAL puts the target's name in.)
    cmake_language(EVAL CODE "cmake_language(DEFER DIRECTORY [[${CMAKE_SOURCE_DIR}]]
                                 CALL _goc_collect_indexes [[${target}]])")
  endif()
endfunction()

# GOC_LINKED_INDEXES of <target>: the indexes of its LINK_GOC_LIBRARIES and
# of theirs, transitively.
function(_goc_collect_indexes target)
  get_target_property(todo ${target} GOC_LINK_GOC_LIBRARIES)
  set(seen)
  set(indexes)
  while(todo)
    list(POP_FRONT todo lib)
    if(lib IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${lib})
    if(NOT TARGET ${lib})
      message(FATAL_ERROR "${target}: LINK_GOC_LIBRARIES ${lib} is not a target")
    endif()
    get_target_property(is_goc ${lib} GOC_TARGET)
    if(NOT is_goc)
      message(FATAL_ERROR "${target}: LINK_GOC_LIBRARIES ${lib} is not a goc library "
                          "(link it with target_link_libraries)")
    endif()
    get_target_property(own ${lib} GOC_INDEXES)
    get_target_property(more ${lib} GOC_LINK_GOC_LIBRARIES)
    list(APPEND indexes ${own})
    list(APPEND todo ${more})
  endwhile()
  set_property(TARGET ${target} PROPERTY GOC_LINKED_INDEXES "${indexes}")
endfunction()

# The target's compiles run through `goc launch`, which passes the messages
# of lowered C on as goc cc does: at the .goc's columns, in the user's
# function names, the -Wreturn-type stand-ins in the compiler's words (a
# compile of plain C runs as it is). A launcher the target has already
# (ccache, from CMAKE_C_COMPILER_LAUNCHER) runs after goc's.
function(_goc_launcher target tool)
  get_target_property(done ${target} GOC_LAUNCHER)
  if(done)
    return()
  endif()
  set_property(TARGET ${target} PROPERTY GOC_LAUNCHER TRUE)
  set(launcher "$<TARGET_FILE:${tool}>" launch)
  get_target_property(theirs ${target} C_COMPILER_LAUNCHER)
  if(theirs)
    list(APPEND launcher ${theirs})
  endif()
  set_property(TARGET ${target} PROPERTY C_COMPILER_LAUNCHER "${launcher}")
  # the plain C files' compiles need the tool too
  get_target_property(real ${tool} ALIASED_TARGET)
  if(NOT real)
    set(real ${tool})
  endif()
  get_target_property(imported ${real} IMPORTED)
  if(NOT imported)
    add_dependencies(${target} ${real})
  endif()
endfunction()

function(_goc_tool out)
  if(TARGET goc::goc)
    set(${out} goc::goc PARENT_SCOPE)
  elseif(TARGET goc)
    set(${out} goc PARENT_SCOPE)
  else()
    message(FATAL_ERROR "goc functions: no goc tool; use find_package(goc CONFIG) "
                        "or add_subdirectory(<goc source tree>) first")
  endif()
endfunction()
