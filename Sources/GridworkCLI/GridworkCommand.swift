import ArgumentParser

/// The root `gridwork` command; each job is a subcommand.
@available(macOS 10.15, *)
public struct GridworkCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gridwork",
        abstract: "County grid management (网格化管理): import, geocode, report, dispatch.",
        subcommands: [SampleCommand.self, ImportCommand.self, VersionsCommand.self, GeocodeCommand.self,
                      CoverageCommand.self, WorkloadCommand.self, ExportCommand.self, ServeCommand.self, TokenCommand.self]
    )

    public init() {}
}
