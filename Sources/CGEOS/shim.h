#ifndef GRIDWORK_CGEOS_SHIM_H
#define GRIDWORK_CGEOS_SHIM_H
// Reentrant API only: every call takes a GEOSContextHandle_t.
#define GEOS_USE_ONLY_R_API
#include <geos_c.h>
#endif
