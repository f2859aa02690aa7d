# concat.cmake — writes OUT, goc-gdb.py, from PARTS (the part files, in
# order, separated by ":"): gdb loads one script from .debug_gdb_scripts,
# and a user sources one by hand, while each part holds one concept.
# Usage: cmake -DOUT=FILE -DPARTS=A.py:B.py... -P concat.cmake
string(REPLACE ":" ";" parts "${PARTS}")
set(text "# goc-gdb.py — gdb commands for goc programs (loaded from the program's\n")
string(APPEND text "# .debug_gdb_scripts section, or by hand: `source <prefix>/share/goc/goc-gdb.py`),\n")
string(APPEND text "# made by the build from runtime/gdb/:")
foreach(part IN LISTS parts)
  get_filename_component(name "${part}" NAME)
  string(APPEND text " ${name}")
endforeach()
string(APPEND text ".\n")
foreach(part IN LISTS parts)
  get_filename_component(name "${part}" NAME)
  file(READ "${part}" body)
  string(APPEND text "\n\n# ==== ${name} ====\n" "${body}")
endforeach()
file(WRITE "${OUT}.tmp" "${text}")
file(RENAME "${OUT}.tmp" "${OUT}")
