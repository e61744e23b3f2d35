#ifndef GRIDWORK_CPROJ_SHIM_H
#define GRIDWORK_CPROJ_SHIM_H
#include <proj.h>
#include <geodesic.h>
#endif
