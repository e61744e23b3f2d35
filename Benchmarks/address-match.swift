// Parse + match only: `AddressMatcher.match` over a list of addresses against a county's buildings, without the
// geocode job around it (CSV, output, loading the database). tools/bench-address compiles it together with
// Sources/GridAddress (which depends on nothing) with `swiftc -O -wmo` and runs it beside the whole job.
//
//   address-match BUILDINGS.tsv ADDRESSES.txt COUNT RUNS
//   BUILDINGS.tsv: building id, door-plate address, grid id (tab-separated); ADDRESSES.txt: one address per line,
//   repeated to COUNT. Prints one line per run: wall seconds, CPU seconds, and the statuses.
import Foundation

@main
enum AddressMatchBench {
    static func main() throws {
        let args = CommandLine.arguments
        guard args.count == 5, let count = Int(args[3]), let runs = Int(args[4]) else {
            FileHandle.standardError.write(Data("usage: address-match BUILDINGS.tsv ADDRESSES.txt COUNT RUNS\n".utf8))
            exit(2)
        }
        let buildings = try lines(args[1]).map { line -> AddressedBuilding in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return AddressedBuilding(buildingID: f[0], address: f.count > 1 ? f[1] : "", gridID: f.count > 2 && !f[2].isEmpty ? f[2] : nil)
        }
        let addresses = try lines(args[2])
        let matcher = AddressMatcher(buildings: buildings)
        for _ in 0..<runs {
            var counts: [AddressMatchStatus: Int] = [:]
            let wall = Date(), cpu = clock()
            for k in 0..<count { counts[matcher.match(addresses[k % addresses.count]).status, default: 0] += 1 }
            let seconds = Date().timeIntervalSince(wall), cpuSeconds = Double(clock() - cpu) / Double(CLOCKS_PER_SEC)
            print(String(format: "%.3f %.3f ", seconds, cpuSeconds)
                  + counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: ","))
        }
    }

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }
}
