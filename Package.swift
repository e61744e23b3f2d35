// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "gridwork",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gridwork", targets: ["gridwork"]),
        .library(name: "Gridwork", targets: ["Gridwork"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.24.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // C libraries behind system-library targets (Debian: libgeos-dev, libproj-dev, libsqlite3-dev, libgdal-dev).
        .systemLibrary(name: "CGEOS", pkgConfig: "geos", providers: [.apt(["libgeos-dev"])]),
        .systemLibrary(name: "CPROJ", pkgConfig: "proj", providers: [.apt(["libproj-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CGDAL", pkgConfig: "gdal", providers: [.apt(["libgdal-dev"])]),

        // Value types for geometries and features, and the RFC 7946 reader and writer.
        .target(name: "GeoJSON", dependencies: [
            .product(name: "OrderedCollections", package: "swift-collections"),
        ]),
        // GEOS: owned handles, validity, make-valid, predicates, prepared geometries, STRtree.
        .target(name: "GridGeometry", dependencies: ["CGEOS", "GeoJSON"]),
        // PROJ transforms, GCJ-02 / BD-09, geodesic measures.
        .target(name: "GridProjection", dependencies: ["CPROJ", "GeoJSON"]),
        // SQLite connection, statements, transactions, migrations.
        .target(name: "GridStore", dependencies: ["CSQLite"]),
        // PostgreSQL + PostGIS over postgres-nio: store locations from `--db` URLs / PG* variables, an owned client,
        // errors carrying the server's SQLSTATE/message/detail/hint, COPY FROM STDIN bulk loading.
        .target(name: "GridPostgres", dependencies: [
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),
        // GDAL/OGR vector files: owned datasets, layers, features, fields, spatial references; geometries as WKB.
        .target(name: "GridGDAL", dependencies: ["CGDAL", "GeoJSON"]),
        // Fast exact point-in-polygon index: which grid / building covers a point.
        .target(name: "GridIndex", dependencies: ["GeoJSON"]),
        // Chinese addresses (门牌地址): normalising and splitting them into parts (prov … roomno).
        .target(name: "GridAddress"),
        // The one seeded random generator (SplitMix64): sample counties, the planner and the tests.
        .target(name: "SeededRandom"),
        // Seeded synthetic counties (towns, villages, grids, buildings, households, staff, incidents).
        .target(name: "SampleCounty", dependencies: ["GeoJSON", "SeededRandom"]),
        // The domain: county hierarchy, import, geocoding, reports.
        .target(name: "Gridwork", dependencies: [
            "GeoJSON", "GridGeometry", "GridProjection", "GridGDAL", "GridStore", "GridIndex", "GridAddress", "CZlib",
            "SeededRandom", "GridPostgres",
            .product(name: "OrderedCollections", package: "swift-collections"),
        ]),
        // The dispatch domain, without HTTP: incidents, closed loop, routing, escalation, visibility, the SQLite
        // incident store and its schema, API tokens, incident geocoding, reports; throws `DispatchError`.
        .target(name: "GridworkDispatch", dependencies: [
            "Gridwork", "GridStore", "GridProjection", "GeoJSON",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            // The PostgreSQL incident store (many counties, several server instances on one database).
            "GridPostgres", .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        // The HTTP layer of the dispatch service (Hummingbird): JSON API, Open311, web console, map layers;
        // `DispatchServer.run` is its one entry point.
        .target(name: "GridworkServer", dependencies: [
            "GridworkDispatch", "Gridwork", "GeoJSON", "GridStore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "OrderedCollections", package: "swift-collections"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Command-line interface (subcommands); the executable is a thin @main.
        .target(name: "GridworkCLI", dependencies: [
            "Gridwork", "GridworkDispatch", "GridworkServer", "SampleCounty", "GridProjection", "GridAddress", "GridStore",
            "GridPostgres",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "gridwork", dependencies: ["GridworkCLI"]),

        // Helpers shared by the test targets (seeded generator, resident memory, outside oracles); in no product.
        .target(name: "GridworkTestSupport", dependencies: ["SeededRandom"], path: "Tests/GridworkTestSupport"),
        // A county database from the tiny sample with a token for every role, shared by the dispatch and server tests.
        .target(name: "DispatchTestSupport", dependencies: [
            "GridworkDispatch", "Gridwork", "GridStore", "GridProjection", "SampleCounty", "GridPostgres", "PostgresTestSupport",
        ], path: "Tests/DispatchTestSupport"),

        // A throwaway PostgreSQL + PostGIS cluster (initdb in a temp directory, unix socket), for any test target.
        .target(name: "PostgresTestSupport", dependencies: ["GridPostgres"], path: "Tests/PostgresTestSupport"),

        .testTarget(name: "SeededRandomTests", dependencies: ["SeededRandom"]),
        .testTarget(name: "GridAddressTests", dependencies: ["GridAddress", "SampleCounty", "GeoJSON"]),
        .testTarget(name: "GridworkTestSupportTests", dependencies: ["GridworkTestSupport"]),
        .testTarget(name: "GeoJSONTests", dependencies: [
            "GeoJSON", "GridworkTestSupport", .product(name: "OrderedCollections", package: "swift-collections"),
        ]),
        .testTarget(name: "GridGeometryTests", dependencies: ["GridGeometry", "GeoJSON", "GridworkTestSupport"]),
        .testTarget(name: "GridProjectionTests", dependencies: ["GridProjection", "GeoJSON", "GridworkTestSupport"]),
        .testTarget(name: "GridGDALTests", dependencies: ["GridGDAL", "GeoJSON", "GridworkTestSupport"]),
        .testTarget(name: "GridStoreTests", dependencies: ["GridStore", "GridworkTestSupport"]),
        .testTarget(name: "GridPostgresTests", dependencies: ["GridPostgres", "PostgresTestSupport"]),
        .testTarget(name: "GridIndexTests", dependencies: ["GridIndex", "GeoJSON", "GridworkTestSupport"]),
        .testTarget(name: "SampleCountyTests", dependencies: ["SampleCounty", "GeoJSON", "GridworkTestSupport"]),
        .testTarget(name: "GridworkTests", dependencies: [
            "Gridwork", "GridworkCLI", "SampleCounty", "GeoJSON", "GridGeometry", "GridProjection", "GridStore",
            "GridAddress", "GridworkTestSupport", "GridPostgres", "PostgresTestSupport",
        ]),
        .testTarget(name: "GridworkDispatchTests", dependencies: [
            "GridworkDispatch", "DispatchTestSupport", "Gridwork", "GridStore", "GridPostgres", "PostgresTestSupport",
        ]),
        .testTarget(name: "GridworkServerTests", dependencies: [
            "GridworkServer", "GridworkDispatch", "DispatchTestSupport", "Gridwork", "GeoJSON", "GridStore", "GridProjection",
            "GridworkTestSupport", "GridPostgres", "PostgresTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
    ],
    swiftLanguageModes: [.v6]
)
