#!/bin/sh
# Measures GridIndex throughput (705 grids, 1e6 random points) in a release build, and the same
# points through shapely's STRtree covered_by query for the ratio.
# Usage: tools/bench-index.sh   (from the package root; needs python3 with shapely + numpy for the ratio)
set -eu
# -enable-testing: the test targets use @testable imports, which a plain release build refuses.
swift build -c release -Xswiftc -enable-testing --build-tests
GRIDWORK_BENCH=1 swift test -c release -Xswiftc -enable-testing --skip-build \
    --filter GridIndexTests.PolygonIndexBenchmark 2>&1 | grep -vE '^(Test |\[)' 
# Figures measured 2026-11 on the shared 2-core build machine (load ~5), release build:
#   705 polygons, 25,352 edges, grid 226×226, 52,210 entries, build 0.07 s
#   serial 30.8 M points/s; concurrent 30.5 M points/s (both cores busy with other builds)
#   shapely 2.2 STRtree.query(predicate='covered_by'): 0.67 M points/s → index 46× faster
