#ifndef GRIDWORK_CZLIB_SHIM_H
#define GRIDWORK_CZLIB_SHIM_H
#include <zlib.h>
#endif
