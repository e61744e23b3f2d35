internal import CGDAL
import Foundation

/// An open GDAL vector dataset (`GDALDatasetH`): a Shapefile, a GeoPackage, a KML file, a File Geodatabase folder...
///
/// The one owner of its handle, closed once (`GDALClose`) by `close()` or in `deinit`. Layers hold their dataset,
/// so it stays open while any of its layers is in use. Not `Sendable`: a dataset and its layers belong to one
/// thread or task at a time (GDAL datasets are not thread-safe); open one per worker.
public final class OGRDataset {
    private var handle: GDALDatasetH?
    /// The name it was opened or created with (a path, or a GDAL virtual path such as `/vsizip/...`).
    public let path: String

    private init(handle: GDALDatasetH, path: String) {
        self.handle = handle
        self.path = path
    }

    /// Opens `path` for reading vectors (`GDALOpenEx` with `GDAL_OF_VECTOR`). `openOptions` are the driver's open
    /// options (e.g. `ENCODING=GBK` for a Shapefile), `drivers` limits the drivers tried (short names).
    /// Throws with GDAL's message (e.g. "not recognized as a supported file format").
    public static func open(_ path: String, openOptions: [String: String] = [:], drivers: [String] = [],
                            update: Bool = false) throws -> OGRDataset {
        GDALLibrary.ensureRegistered()
        let options = CStringList(openOptions)
        let allowed = CStringList(drivers)
        let flags = UInt32(GDAL_OF_VECTOR | GDAL_OF_VERBOSE_ERROR) | UInt32(update ? GDAL_OF_UPDATE : GDAL_OF_READONLY)
        GDALLibrary.resetError()
        // Returns NULL when no driver opens the file.
        guard let handle = GDALOpenEx(path, flags, drivers.isEmpty ? nil : allowed.constPointer,
                                      openOptions.isEmpty ? nil : options.constPointer, nil) else {
            throw GDALLibrary.error("GDALOpenEx \(path)")
        }
        return OGRDataset(handle: handle, path: path)
    }

    /// Creates a new vector dataset with the driver `driver` (short name, e.g. "GPKG", "ESRI Shapefile")
    /// (`GDALGetDriverByName`, `GDALCreate`); `options` are the driver's creation options.
    public static func create(_ path: String, driver: String, options: [String: String] = [:]) throws -> OGRDataset {
        GDALLibrary.ensureRegistered()
        guard let handle = GDALGetDriverByName(driver) else {
            throw GDALError(operation: "GDALGetDriverByName \(driver)", message: "this GDAL has no driver \(driver)")
        }
        let list = CStringList(options)
        GDALLibrary.resetError()
        // Returns NULL on failure (unwritable path, driver without vector creation).
        guard let dataset = GDALCreate(handle, path, 0, 0, 0, GDT_Unknown, list.pointer) else {
            throw GDALLibrary.error("GDALCreate \(path) (\(driver))")
        }
        return OGRDataset(handle: dataset, path: path)
    }

    deinit {
        if let handle { GDALClose(handle) }
    }

    /// Closes the dataset now (`GDALClose`), flushing what a writer buffered; throws when GDAL reported a failure
    /// while flushing. Using the dataset or its layers afterwards is a programming error.
    public func close() throws {
        guard let handle else { return }
        self.handle = nil
        GDALLibrary.resetError()
        GDALClose(handle)
        if GDALLibrary.lastCallFailed { throw GDALLibrary.error("GDALClose \(path)") }
    }

    var openHandle: GDALDatasetH {
        guard let handle else { preconditionFailure("OGRDataset \(path) used after close()") }
        return handle
    }

    /// The driver's short name (`GDALGetDriverShortName`), e.g. "ESRI Shapefile", "GPKG", "KML", "OpenFileGDB".
    public var driverName: String {
        guard let driver = GDALGetDatasetDriver(openHandle) else { return "" }
        return String(cString: GDALGetDriverShortName(driver))
    }

    /// How many layers the dataset has (`GDALDatasetGetLayerCount`).
    public var layerCount: Int { Int(GDALDatasetGetLayerCount(openHandle)) }

    /// The layer at `index` (`GDALDatasetGetLayer`).
    public func layer(at index: Int) throws -> OGRLayer {
        guard index >= 0, index < layerCount, let layer = GDALDatasetGetLayer(openHandle, Int32(index)) else {
            throw GDALError(operation: "GDALDatasetGetLayer", message: "\(path) has no layer #\(index)")
        }
        return OGRLayer(handle: layer, dataset: self)
    }

    /// The layer called `name` (`GDALDatasetGetLayerByName`), or nil.
    public func layer(named name: String) -> OGRLayer? {
        GDALDatasetGetLayerByName(openHandle, name).map { OGRLayer(handle: $0, dataset: self) }
    }

    /// The names of every layer, in order.
    public var layerNames: [String] {
        (0..<layerCount).compactMap { try? layer(at: $0).name }
    }

    /// Creates a layer (`GDALDatasetCreateLayer`) of `geometryType` in `spatialReference` (nil: none); `options`
    /// are the driver's layer creation options (e.g. `SPATIAL_INDEX=YES`, `ENCODING=UTF-8`).
    public func createLayer(_ name: String, geometryType: OGRGeometryKind, spatialReference: OGRSpatialReference?,
                            options: [String: String] = [:]) throws -> OGRLayer {
        let list = CStringList(options)
        GDALLibrary.resetError()
        // Returns NULL on failure (name taken, unsupported geometry type or option).
        guard let layer = GDALDatasetCreateLayer(openHandle, name, spatialReference?.handle,
                                                 geometryType.ogrType, list.pointer) else {
            throw GDALLibrary.error("GDALDatasetCreateLayer \(name)")
        }
        return OGRLayer(handle: layer, dataset: self)
    }

    /// Runs `body` in one transaction where the driver has them (`GDALDatasetStartTransaction` with emulation
    /// forced, `GDALDatasetCommitTransaction`): one SQLite transaction for a GeoPackage instead of one per feature.
    /// Rolled back (`GDALDatasetRollbackTransaction`) when `body` throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        GDALLibrary.resetError()
        let started = GDALDatasetStartTransaction(openHandle, 1) == OGRERR_NONE
        GDALLibrary.resetError()  // a driver without transactions says so; that is not a failure here
        do {
            let result = try body()
            if started { try GDALLibrary.check(GDALDatasetCommitTransaction(openHandle), "GDALDatasetCommitTransaction") }
            return result
        } catch {
            if started { _ = GDALDatasetRollbackTransaction(openHandle) }
            throw error
        }
    }
}

/// The geometry types gridwork creates layers with (`OGRwkbGeometryType`).
public enum OGRGeometryKind: Sendable, Hashable {
    case unknown, point, lineString, polygon, multiPoint, multiLineString, multiPolygon, geometryCollection

    var ogrType: OGRwkbGeometryType {
        switch self {
        case .unknown: wkbUnknown
        case .point: wkbPoint
        case .lineString: wkbLineString
        case .polygon: wkbPolygon
        case .multiPoint: wkbMultiPoint
        case .multiLineString: wkbMultiLineString
        case .multiPolygon: wkbMultiPolygon
        case .geometryCollection: wkbGeometryCollection
        }
    }
}
