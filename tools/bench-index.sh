#!/bin/sh
# Measures GridIndex throughput (705 grids, 1e6 random points) in a release build, and the same
# points through shapely's STRtree covered_by query for the ratio.
# Usage: tools/bench-index.sh   (from the package root; needs python3 with shapely + numpy for the ratio)
set -eu
# -enable-testing: the test targets use @testable imports, which a plain release build refuses.
swift build -c release -Xswiftc -enable-testing --build-tests
GRIDWORK_BENCH=1 swift test -c release -Xswiftc -enable-testing --skip-build \
    --filter GridIndexTests.PolygonIndexBenchmark 2>&1 | grep -vE '^(Test |\[)' 
