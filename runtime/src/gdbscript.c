/* gdbscript.c — puts goc-gdb.py (info goroutines, goroutine N bt, live
 * locals; the build makes it from runtime/gdb/) into every goc program's
 * .debug_gdb_scripts section, as Go does with runtime-gdb.py, so gdb loads
 * it by itself where auto-loading is allowed
 * (`set auto-load safe-path`, or gdb -iex 'add-auto-load-safe-path DIR').
 *
 * Invariants: the section holds one inline Python script (type 4: a name
 * line, the text, a NUL); goc__gdb_script_anchor is referenced from
 * runtime start-up so that this object is linked from libgoc.a. The script
 * file's path comes from the build (GOC_GDB_SCRIPT). */
#ifndef GOC_GDB_SCRIPT
#error "GOC_GDB_SCRIPT: the path of goc-gdb.py, set by runtime/CMakeLists.txt"
#endif

__asm__(".pushsection \".debug_gdb_scripts\", \"MS\",@progbits,1\n"
        ".byte 4\n"
        ".ascii \"goc-gdb.py\\n\"\n"
        ".incbin \"" GOC_GDB_SCRIPT "\"\n"
        ".byte 0\n"
        ".popsection\n");

const char goc__gdb_script_anchor = 0;
