internal import CZlib
import Foundation
import GeoJSON

/// Draws grids coloured by their workload index as a PNG picture, with no drawing library: polygons are filled by
/// even-odd scanlines in an equirectangular view (longitude scaled by cos(latitude)), outlined, and written as an
/// RGB PNG compressed with zlib.
///
/// Colours run from pale yellow (index ≤ 50) through orange (100, the county average) to dark red (index ≥ 200);
/// grids without a value are grey.
public struct WorkloadMap: Sendable {
    public var width: Int
    public var height: Int
    private var pixels: [UInt8]
    private let box: BoundingBox
    private let scaleX: Double
    private let scaleY: Double

    /// An empty white picture `width` pixels wide framing `box` (height follows the aspect at its latitude).
    public init(box: BoundingBox, width: Int = 1000) {
        let cosLat = cos((box.minY + box.maxY) / 2 * .pi / 180)
        let spanX = max((box.maxX - box.minX) * cosLat, 1e-9), spanY = max(box.maxY - box.minY, 1e-9)
        self.width = width
        height = max(1, Int((Double(width) * spanY / spanX).rounded()))
        self.box = box
        scaleX = Double(width) / (box.maxX - box.minX)
        scaleY = Double(height) / (box.maxY - box.minY)
        pixels = [UInt8](repeating: 255, count: width * height * 3)
    }

    /// Draws the grids of a workload report.
    public static func render(grids: [Grid], workload: WorkloadReport, width: Int = 1000) -> WorkloadMap {
        var box: BoundingBox?
        for g in grids { if let b = g.geometry.boundingBox { box = box.map { var m = $0; m.extend(b); return m } ?? b } }
        var map = WorkloadMap(box: box ?? BoundingBox(minX: 0, minY: 0, maxX: 1, maxY: 1), width: width)
        let index = Dictionary(workload.grids.map { ($0.gridID, $0.workloadIndex) }, uniquingKeysWith: { a, _ in a })
        for g in grids { map.fill(g.geometry, colour: index[g.gridID].map(Self.colour) ?? (200, 200, 200)) }
        for g in grids { map.outline(g.geometry, colour: (60, 60, 60)) }
        return map
    }

    /// The colour of a workload index.
    public static func colour(_ index: Double) -> (UInt8, UInt8, UInt8) {
        let stops: [(Double, (Double, Double, Double))] = [
            (50, (255, 255, 204)), (100, (253, 141, 60)), (150, (227, 26, 28)), (200, (128, 0, 38)),
        ]
        let v = min(max(index, stops.first!.0), stops.last!.0)
        var k = 0
        while k < stops.count - 2 && v > stops[k + 1].0 { k += 1 }
        let (a, ca) = stops[k], (b, cb) = stops[k + 1]
        let t = (v - a) / (b - a)
        func mix(_ x: Double, _ y: Double) -> UInt8 { UInt8((x + (y - x) * t).rounded()) }
        return (mix(ca.0, cb.0), mix(ca.1, cb.1), mix(ca.2, cb.2))
    }

    /// The colour of one pixel (for tests).
    public func pixel(x: Int, y: Int) -> (UInt8, UInt8, UInt8) {
        let i = (y * width + x) * 3
        return (pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// The pixel a position falls in (column, row from the top).
    public func pixelOf(_ p: Position) -> (x: Int, y: Int) {
        (Int(((p.x - box.minX) * scaleX).rounded(.down)), Int(((box.maxY - p.y) * scaleY).rounded(.down)))
    }

    private func screen(_ p: Position) -> (Double, Double) {
        ((p.x - box.minX) * scaleX, (box.maxY - p.y) * scaleY)
    }

    private mutating func set(_ x: Int, _ y: Int, _ c: (UInt8, UInt8, UInt8)) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let i = (y * width + x) * 3
        pixels[i] = c.0
        pixels[i + 1] = c.1
        pixels[i + 2] = c.2
    }

    /// Fills each polygon by the even-odd rule, sampling pixel centres.
    public mutating func fill(_ geometry: Geometry, colour: (UInt8, UInt8, UInt8)) {
        for polygon in geometry.polygons {
            let edges = polygon.rings.flatMap { ring -> [((Double, Double), (Double, Double))] in
                let pts = ring.positions.map(screen)
                guard pts.count > 1 else { return [] }
                return (0..<pts.count).map { (pts[$0], pts[($0 + 1) % pts.count]) }
            }
            let ys = edges.flatMap { [$0.0.1, $0.1.1] }
            guard let top = ys.min(), let bottom = ys.max() else { continue }
            var row = max(0, Int(top.rounded(.down)))
            while row <= min(height - 1, Int(bottom.rounded(.up))) {
                let cy = Double(row) + 0.5
                var xs: [Double] = []
                for (a, b) in edges where (a.1 <= cy) != (b.1 <= cy) {
                    xs.append(a.0 + (cy - a.1) / (b.1 - a.1) * (b.0 - a.0))
                }
                xs.sort()
                var k = 0
                while k + 1 < xs.count {
                    let from = max(0, Int((xs[k] - 0.5).rounded(.up))), to = min(width - 1, Int((xs[k + 1] - 0.5).rounded(.down)))
                    if from <= to { for x in from...to { set(x, row, colour) } }
                    k += 2
                }
                row += 1
            }
        }
    }

    /// Draws the rings as one-pixel lines.
    public mutating func outline(_ geometry: Geometry, colour: (UInt8, UInt8, UInt8)) {
        for polygon in geometry.polygons {
            for ring in polygon.rings {
                let pts = ring.positions.map(screen)
                for k in pts.indices.dropLast() { line(pts[k], pts[k + 1], colour) }
            }
        }
    }

    private mutating func line(_ a: (Double, Double), _ b: (Double, Double), _ c: (UInt8, UInt8, UInt8)) {
        let steps = max(1, Int(max(abs(b.0 - a.0), abs(b.1 - a.1)).rounded(.up)))
        for s in 0...steps {
            let t = Double(s) / Double(steps)
            set(Int((a.0 + (b.0 - a.0) * t).rounded(.down)), Int((a.1 + (b.1 - a.1) * t).rounded(.down)), c)
        }
    }

    // MARK: PNG

    /// The picture as PNG bytes (8-bit RGB, no interlace, filter 0 on every row, zlib deflate).
    public func png() -> [UInt8] {
        var raw: [UInt8] = []
        raw.reserveCapacity((width * 3 + 1) * height)
        for y in 0..<height {
            raw.append(0)
            raw.append(contentsOf: pixels[(y * width * 3)..<((y + 1) * width * 3)])
        }
        let zlib = Self.deflate(raw)

        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        Self.appendBigEndian(&header, UInt32(width))
        Self.appendBigEndian(&header, UInt32(height))
        header.append(contentsOf: [8, 2, 0, 0, 0])
        Self.chunk(&out, "IHDR", header)
        Self.chunk(&out, "IDAT", zlib)
        Self.chunk(&out, "IEND", [])
        return out
    }

    /// Writes the PNG file.
    public func writePNG(to path: String) throws {
        do { try Data(png()).write(to: URL(fileURLWithPath: path)) } catch {
            throw ReportError("cannot write the picture \(path): \(error.localizedDescription)")
        }
    }

    static func appendBigEndian(_ bytes: inout [UInt8], _ v: UInt32) {
        bytes.append(contentsOf: [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)])
    }

    static func chunk(_ out: inout [UInt8], _ type: String, _ data: [UInt8]) {
        appendBigEndian(&out, UInt32(data.count))
        let body = Array(type.utf8) + data
        out.append(contentsOf: body)
        appendBigEndian(&out, crc32(body))
    }

    /// A zlib stream of `bytes` at the best compression (`compress2`).
    static func deflate(_ bytes: [UInt8]) -> [UInt8] {
        var size = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(size))
        // compress2 returns Z_OK, or Z_MEM_ERROR / Z_BUF_ERROR (impossible with compressBound's size).
        let status = compress2(&out, &size, bytes, uLong(bytes.count), Z_BEST_COMPRESSION)
        precondition(status == Z_OK, "zlib compress2 failed with status \(status)")
        out.removeSubrange(Int(size)...)
        return out
    }

    /// CRC-32 as PNG (ISO 3309) defines it (zlib's `crc32`).
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        UInt32(CZlib.crc32(0, bytes, uInt(bytes.count)))
    }
}
