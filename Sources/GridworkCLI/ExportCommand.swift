import ArgumentParser
import Foundation
import Gridwork

extension ExportLayer: ExpressibleByArgument {}
extension ExportFormat: ExpressibleByArgument {}

/// `gridwork export`: one layer with the report attributes joined in, as GeoJSON or GeoPackage.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a layer (grids, villages, buildings, households, incidents, gaps, overlaps, slivers) for GIS tools.",
        discussion: """
            Formats (--format, else from the file name):
            \(ExportFormat.table.map { "  \($0.format.rawValue) (\($0.extensions.joined(separator: ", "))): \($0.summary)" }
                .joined(separator: "\n"))
            Coordinates are longitude/latitude (EPSG:4326). Households and incidents carry no personal data \
            (addresses, descriptions) unless --include-personal.
            """
    )

    @OptionGroup var input: CountyInputOptions
    @Option(help: "The layer: \(ExportLayer.allCases.map(\.rawValue).joined(separator: ", ")).") var layer: ExportLayer
    @Option(help: "Output file.") var out: String
    @Option(help: "\(ExportFormat.table.map(\.format.rawValue).joined(separator: ", ")) (default: from the file name, else geojson).")
    var format: ExportFormat?
    @Option(help: "Decimals of GeoJSON coordinates.") var precision = 7
    @Option(help: "Shapefile text encoding: UTF-8 (default, with a .cpg) or GBK (code page 936, for old ArcGIS).")
    var encoding: String?
    @Flag(name: .customLong("include-personal"), help: "Include household addresses and incident descriptions.")
    var includePersonal = false
    @Option(name: .customLong("tolerance-metres"), help: "Sliver tolerance of the coverage attributes.")
    var toleranceMetres = 0.5

    func validate() throws {
        if !(1...15).contains(precision) { throw ValidationError("--precision must be between 1 and 15") }
        if encoding != nil && (format ?? ExportFormat.forPath(out)) != .shp {
            throw ValidationError("--encoding applies to Shapefiles (--format shp) only")
        }
    }

    func run() throws {
        let layers = try input.load()
        let chosen = format ?? ExportFormat.forPath(out) ?? .geojson
        let export = try LayerExport(layers: layers, coverageOptions: CoverageOptions(toleranceMetres: toleranceMetres),
                                     includePersonal: includePersonal)
        let count = try export.write(layer, to: out, format: chosen, precision: precision, encoding: encoding)
        print("exported \(count) \(layer.rawValue) as \(chosen.rawValue) → \(out)")
    }
}
