#ifndef GRIDWORK_CSQLITE_SHIM_H
#define GRIDWORK_CSQLITE_SHIM_H
#include <sqlite3.h>

/// `SQLITE_TRANSIENT` is a macro casting -1 to a function pointer, which Swift cannot import.
static inline sqlite3_destructor_type CSQLite_TRANSIENT(void) {
    return SQLITE_TRANSIENT;
}

/// `sqlite3_config` is variadic; this wraps the one option gridwork sets.
static inline int CSQLite_config_multithread(void) {
    return sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
}
#endif
