import ArgumentParser
import Foundation

/// The root `gridwork` command; each job is a subcommand.
@available(macOS 10.15, *)
public struct GridworkCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "gridwork",
        abstract: "County grid management (网格化管理): import, geocode, report, dispatch.",
        subcommands: [SampleCommand.self, ImportCommand.self, VersionsCommand.self, GeocodeCommand.self,
                      CoverageCommand.self, WorkloadCommand.self, ExportCommand.self, ServeCommand.self, TokenCommand.self,
                      PlanCommand.self]
    )

    public init() {}

    /// Process settings every subcommand needs, made before it runs: a write past a file-size limit (`ulimit -f`)
    /// fails with `EFBIG`, which SQLite reports and the commands answer (the import rolls back, the server answers
    /// 503), instead of SIGXFSZ killing the process mid-write.
    public static func prepareProcess() {
        signal(SIGXFSZ, SIG_IGN)
    }
}
