internal import CGDAL
import Foundation
import GeoJSON

/// The type of an attribute field (`OGRFieldType`, with the boolean subtype `OFSTBoolean`).
public enum OGRFieldKind: Sendable, Hashable {
    case integer, integer64, real, string, date, time, dateTime, binary, boolean
    case integerList, integer64List, realList, stringList
}

/// One attribute field of a layer (`OGRFieldDefnH`): its name, kind and width (0 when unbounded).
public struct OGRFieldDefinition: Sendable, Hashable {
    public var name: String
    public var kind: OGRFieldKind
    public var width: Int

    public init(name: String, kind: OGRFieldKind, width: Int = 0) {
        self.name = name
        self.kind = kind
        self.width = width
    }
}

/// One attribute value as OGR holds it.
public enum OGRValue: Sendable, Hashable {
    /// Unset or null.
    case null
    case integer(Int64)
    case real(Double)
    case boolean(Bool)
    /// Text (also dates and times, as OGR formats them: "2024/05/01 08:30:00").
    case string(String)
    /// Text whose bytes are not UTF-8: a file in a legacy encoding (GBK) that OGR did not recode.
    case undecodedText([UInt8])
    case integers([Int64])
    case reals([Double])
    case strings([String])
    case binary([UInt8])
}

/// A feature read from a layer: its OGR feature id (FID), its values in the layer's field order, and its geometry
/// as little-endian ISO WKB (curves already cut into straight segments), or nil when it has none.
public struct OGRFeature: Sendable, Hashable {
    public var fid: Int64
    public var values: [OGRValue]
    public var wkb: [UInt8]?

    public init(fid: Int64, values: [OGRValue], wkb: [UInt8]?) {
        self.fid = fid
        self.values = values
        self.wkb = wkb
    }

    /// The geometry (`WKB.decode`), nil when the feature has none.
    public func geometry() throws(GeometryDecodingError) -> Geometry? {
        guard let wkb else { return nil }
        return try WKB.decode(wkb)
    }
}

/// An OGR feature handle (`OGRFeatureH`) with one owner, destroyed once with `OGR_F_Destroy`.
final class OGRFeatureHandle {
    let handle: OGRFeatureH

    init(owning handle: OGRFeatureH) {
        self.handle = handle
    }

    deinit {
        OGR_F_Destroy(handle)
    }
}

/// A layer of an `OGRDataset` (`OGRLayerH`). The dataset owns the layer handle; this object holds the dataset so it
/// stays open while the layer is read or written. Not `Sendable`, like its dataset.
public final class OGRLayer {
    let handle: OGRLayerH
    public let dataset: OGRDataset

    init(handle: OGRLayerH, dataset: OGRDataset) {
        self.handle = handle
        self.dataset = dataset
    }

    /// The layer's name (`OGR_L_GetName`).
    public var name: String { String(cString: OGR_L_GetName(handle)) }

    /// The attribute fields, in order (`OGR_L_GetLayerDefn`, `OGR_FD_GetFieldDefn`).
    public var fields: [OGRFieldDefinition] {
        guard let definition = OGR_L_GetLayerDefn(handle) else { return [] }
        return (0..<OGR_FD_GetFieldCount(definition)).compactMap { i in
            guard let field = OGR_FD_GetFieldDefn(definition, i) else { return nil }
            return OGRFieldDefinition(name: String(cString: OGR_Fld_GetNameRef(field)),
                                      kind: Self.kind(OGR_Fld_GetType(field), OGR_Fld_GetSubType(field)),
                                      width: Int(OGR_Fld_GetWidth(field)))
        }
    }

    static func kind(_ type: OGRFieldType, _ subtype: OGRFieldSubType) -> OGRFieldKind {
        switch type {
        case OFTInteger: subtype == OFSTBoolean ? .boolean : .integer
        case OFTInteger64: subtype == OFSTBoolean ? .boolean : .integer64
        case OFTReal: .real
        case OFTDate: .date
        case OFTTime: .time
        case OFTDateTime: .dateTime
        case OFTBinary: .binary
        case OFTIntegerList: .integerList
        case OFTInteger64List: .integer64List
        case OFTRealList: .realList
        case OFTStringList, OFTWideStringList: .stringList
        default: .string
        }
    }

    /// The layer's CRS, a copy owned by the caller (`OGR_L_GetSpatialRef`, `OSRClone`); nil when the file has none
    /// (a Shapefile without `.prj`, an undefined GeoPackage SRS).
    public var spatialReference: OGRSpatialReference? {
        guard let layerOwned = OGR_L_GetSpatialRef(handle), let clone = OSRClone(layerOwned) else { return nil }
        return OGRSpatialReference(owning: clone)
    }

    /// The number of features (`OGR_L_GetFeatureCount`); -1 when the driver cannot tell without a full scan and
    /// `force` is false.
    public func featureCount(force: Bool = true) -> Int {
        Int(OGR_L_GetFeatureCount(handle, force ? 1 : 0))
    }

    /// A metadata item of the layer (`GDALGetMetadataItem`), e.g. `SOURCE_ENCODING` in the `SHAPEFILE` domain.
    public func metadataItem(_ name: String, domain: String? = nil) -> String? {
        GDALGetMetadataItem(handle, name, domain).map { String(cString: $0) }
    }

    /// Starts reading from the first feature again (`OGR_L_ResetReading`).
    public func resetReading() {
        OGR_L_ResetReading(handle)
    }

    /// The next feature, or nil after the last (`OGR_L_GetNextFeature`). Throws when GDAL fails while reading
    /// (a truncated file), with its message.
    public func nextFeature() throws -> OGRFeature? {
        GDALLibrary.resetError()
        // Returns NULL after the last feature, and on a read error (then CPLGetLastErrorType says so).
        guard let raw = OGR_L_GetNextFeature(handle) else {
            if GDALLibrary.lastCallFailed { throw GDALLibrary.error("OGR_L_GetNextFeature \(name)") }
            return nil
        }
        let feature = OGRFeatureHandle(owning: raw)
        return try Self.read(feature.handle)
    }

    static func read(_ f: OGRFeatureH) throws -> OGRFeature {
        let count = OGR_F_GetFieldCount(f)
        var values: [OGRValue] = []
        values.reserveCapacity(Int(count))
        for i in 0..<count {
            values.append(value(f, i))
        }
        var wkb: [UInt8]?
        if let geometry = OGR_F_GetGeometryRef(f) {  // owned by the feature
            wkb = try Self.wkb(of: geometry)
        }
        return OGRFeature(fid: Int64(OGR_F_GetFID(f)), values: values, wkb: wkb)
    }

    /// ISO WKB of a geometry (`OGR_G_ExportToIsoWkb`); curves are first approximated by straight segments
    /// (`OGR_G_GetLinearGeometry`, a new geometry destroyed here with `OGR_G_DestroyGeometry`).
    static func wkb(of geometry: OGRGeometryH) throws -> [UInt8] {
        var linear: OGRGeometryH?
        if OGR_G_HasCurveGeometry(geometry, 1) != 0 {
            linear = OGR_G_GetLinearGeometry(geometry, 0, nil)
        }
        defer { if let linear { OGR_G_DestroyGeometry(linear) } }
        let source = linear ?? geometry
        let size = Int(OGR_G_WkbSize(source))
        var bytes = [UInt8](repeating: 0, count: size)
        GDALLibrary.resetError()
        let code = bytes.withUnsafeMutableBufferPointer { OGR_G_ExportToIsoWkb(source, wkbNDR, $0.baseAddress) }
        try GDALLibrary.check(code, "OGR_G_ExportToIsoWkb")
        return bytes
    }

    static func value(_ f: OGRFeatureH, _ i: Int32) -> OGRValue {
        guard OGR_F_IsFieldSetAndNotNull(f, i) != 0, let field = OGR_F_GetFieldDefnRef(f, i) else { return .null }
        switch kind(OGR_Fld_GetType(field), OGR_Fld_GetSubType(field)) {
        case .integer, .integer64: return .integer(Int64(OGR_F_GetFieldAsInteger64(f, i)))
        case .boolean: return .boolean(OGR_F_GetFieldAsInteger(f, i) != 0)
        case .real: return .real(OGR_F_GetFieldAsDouble(f, i))
        case .integerList:
            var n: Int32 = 0
            guard let p = OGR_F_GetFieldAsIntegerList(f, i, &n) else { return .integers([]) }
            return .integers((0..<Int(n)).map { Int64(p[$0]) })
        case .integer64List:
            var n: Int32 = 0
            guard let p = OGR_F_GetFieldAsInteger64List(f, i, &n) else { return .integers([]) }
            return .integers((0..<Int(n)).map { Int64(p[$0]) })
        case .realList:
            var n: Int32 = 0
            guard let p = OGR_F_GetFieldAsDoubleList(f, i, &n) else { return .reals([]) }
            return .reals((0..<Int(n)).map { p[$0] })
        case .stringList:
            guard let list = OGR_F_GetFieldAsStringList(f, i) else { return .strings([]) }
            var out: [String] = []
            var k = 0
            while let s = list[k] {
                out.append(String(decoding: UnsafeRawBufferPointer(start: s, count: strlen(s)), as: UTF8.self))
                k += 1
            }
            return .strings(out)
        case .binary:
            var n: Int32 = 0
            guard let p = OGR_F_GetFieldAsBinary(f, i, &n) else { return .binary([]) }
            return .binary(Array(UnsafeBufferPointer(start: p, count: Int(n))))
        case .string, .date, .time, .dateTime:
            guard let s = OGR_F_GetFieldAsString(f, i) else { return .null }
            let bytes = UnsafeRawBufferPointer(start: s, count: strlen(s))
            if let text = String(validating: bytes.assumingMemoryBound(to: UInt8.self), as: UTF8.self) { return .string(text) }
            return .undecodedText(Array(bytes))
        }
    }

    /// Adds a field (`OGR_Fld_Create`, `OGR_L_CreateField`; the definition is destroyed with `OGR_Fld_Destroy`).
    /// A driver may change the name (a Shapefile cuts names to 10 characters): read `fields` afterwards.
    public func createField(_ definition: OGRFieldDefinition) throws {
        let type: OGRFieldType = switch definition.kind {
        case .integer, .boolean: OFTInteger
        case .integer64: OFTInteger64
        case .real: OFTReal
        case .string: OFTString
        case .date: OFTDate
        case .time: OFTTime
        case .dateTime: OFTDateTime
        case .binary: OFTBinary
        case .integerList: OFTIntegerList
        case .integer64List: OFTInteger64List
        case .realList: OFTRealList
        case .stringList: OFTStringList
        }
        guard let field = OGR_Fld_Create(definition.name, type) else { throw GDALLibrary.error("OGR_Fld_Create") }
        defer { OGR_Fld_Destroy(field) }
        if definition.kind == .boolean { OGR_Fld_SetSubType(field, OFSTBoolean) }
        if definition.width > 0 { OGR_Fld_SetWidth(field, Int32(definition.width)) }
        GDALLibrary.resetError()
        try GDALLibrary.check(OGR_L_CreateField(handle, field, 1), "OGR_L_CreateField \(definition.name)")
    }

    /// Writes one feature (`OGR_F_Create`, `OGR_F_SetField*`, `OGR_G_CreateFromWkb`, `OGR_F_SetGeometryDirectly`,
    /// `OGR_L_CreateFeature`). `values` follow the layer's field order (fewer values leave the rest unset);
    /// `wkb` is the geometry (nil: none), in the layer's CRS.
    public func write(values: [OGRValue], wkb: [UInt8]?) throws {
        guard let definition = OGR_L_GetLayerDefn(handle), let raw = OGR_F_Create(definition) else {
            throw GDALLibrary.error("OGR_F_Create")
        }
        let feature = OGRFeatureHandle(owning: raw)
        let f = feature.handle
        for (index, value) in values.enumerated() {
            let i = Int32(index)
            switch value {
            case .null: OGR_F_SetFieldNull(f, i)
            case .integer(let v): OGR_F_SetFieldInteger64(f, i, GIntBig(v))
            case .real(let v): OGR_F_SetFieldDouble(f, i, v)
            case .boolean(let v): OGR_F_SetFieldInteger(f, i, v ? 1 : 0)
            case .string(let s): OGR_F_SetFieldString(f, i, s)
            case .undecodedText(let bytes): OGR_F_SetFieldString(f, i, String(decoding: bytes, as: UTF8.self))
            case .integers(let vs):
                let values = vs.map { GIntBig($0) }
                values.withUnsafeBufferPointer { OGR_F_SetFieldInteger64List(f, i, Int32($0.count), $0.baseAddress) }
            case .reals(let vs):
                vs.withUnsafeBufferPointer { OGR_F_SetFieldDoubleList(f, i, Int32($0.count), $0.baseAddress) }
            case .strings(let ss):
                let list = CStringList(ss)
                OGR_F_SetFieldStringList(f, i, list.pointer)
            case .binary(let bytes):
                bytes.withUnsafeBufferPointer { OGR_F_SetFieldBinary(f, i, Int32($0.count), $0.baseAddress) }
            }
        }
        if let wkb {
            var geometry: OGRGeometryH?
            GDALLibrary.resetError()
            let code = wkb.withUnsafeBufferPointer { OGR_G_CreateFromWkb($0.baseAddress, nil, &geometry, Int32($0.count)) }
            try GDALLibrary.check(code, "OGR_G_CreateFromWkb")
            // The feature takes ownership of the geometry, also when the call fails.
            try GDALLibrary.check(OGR_F_SetGeometryDirectly(f, geometry), "OGR_F_SetGeometryDirectly")
        }
        GDALLibrary.resetError()
        try GDALLibrary.check(OGR_L_CreateFeature(handle, f), "OGR_L_CreateFeature in \(name)")
    }
}
