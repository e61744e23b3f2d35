import ArgumentParser
import Foundation
import Gridwork

extension ExportLayer: ExpressibleByArgument {}
extension ExportFormat: ExpressibleByArgument {}

/// `gridwork export`: one layer with the report attributes joined in, as GeoJSON or GeoPackage.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a layer (grids, villages, buildings, households, incidents, gaps, overlaps) for GIS tools.",
        discussion: """
            GeoJSON follows RFC 7946 (longitude/latitude, counter-clockwise exteriors, bbox, no crs). GeoPackage \
            (--format gpkg) adds or replaces the layer in the file. Households and incidents carry no personal data \
            (addresses, descriptions) unless --include-personal.
            """
    )

    @OptionGroup var input: CountyInputOptions
    @Option(help: "The layer: \(ExportLayer.allCases.map(\.rawValue).joined(separator: ", ")).") var layer: ExportLayer
    @Option(help: "Output file.") var out: String
    @Option(help: "geojson or gpkg (default: from the file name).") var format: ExportFormat?
    @Option(help: "Decimals of GeoJSON coordinates.") var precision = 7
    @Flag(name: .customLong("include-personal"), help: "Include household addresses and incident descriptions.")
    var includePersonal = false
    @Option(name: .customLong("tolerance-metres"), help: "Sliver tolerance of the coverage attributes.")
    var toleranceMetres = 0.5

    func validate() throws {
        if !(1...15).contains(precision) { throw ValidationError("--precision must be between 1 and 15") }
    }

    func run() throws {
        let layers = try input.load()
        let chosen = format ?? (out.lowercased().hasSuffix(".gpkg") ? .gpkg : .geojson)
        let export = try LayerExport(layers: layers, coverageOptions: CoverageOptions(toleranceMetres: toleranceMetres),
                                     includePersonal: includePersonal)
        let count = try export.write(layer, to: out, format: chosen, precision: precision)
        print("exported \(count) \(layer.rawValue) as \(chosen.rawValue) → \(out)")
    }
}
