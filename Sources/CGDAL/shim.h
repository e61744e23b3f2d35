#ifndef GRIDWORK_CGDAL_SHIM_H
#define GRIDWORK_CGDAL_SHIM_H
// The OGR vector C API of GDAL (Debian libgdal-dev, pkg-config gdal): datasets, layers, features, field
// definitions, geometries as WKB, spatial references, and CPL's error state and string lists.
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#endif
