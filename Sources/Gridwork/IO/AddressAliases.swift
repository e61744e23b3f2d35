import Foundation

/// The alias file of the address matcher: old names and common short names of villages, communities, roads and
/// estates, one per row, as a CSV with the columns `alias,name` (府东居委会,府东社区 / 严州路,严州大道).
public enum AddressAliases {
    /// Reads the file; a row with an empty field, or an alias given twice with different names, is an error that
    /// names the line and how to fix it.
    public static func read(path: String) throws -> [String: String] {
        let table = try CSVTable(path: path)
        let name = (path as NSString).lastPathComponent
        let aliasColumn = try table.requireColumn("alias"), nameColumn = try table.requireColumn("name")
        var aliases: [String: String] = [:]
        var firstLine: [String: Int] = [:]
        while let record = try table.next() {
            guard record.fields.count == table.header.count else {
                throw CSVError(file: name, line: record.line, message: "the row has \(record.fields.count) fields but the "
                               + "header has \(table.header.count)")
            }
            let alias = record.fields[aliasColumn].trimmingCharacters(in: .whitespaces)
            let official = record.fields[nameColumn].trimmingCharacters(in: .whitespaces)
            if alias.isEmpty && official.isEmpty { continue }
            guard !alias.isEmpty, !official.isEmpty else {
                throw CSVError(file: name, line: record.line, message: "field '\(alias.isEmpty ? "alias" : "name")' is empty: "
                               + "each row needs an alias and the official name it stands for")
            }
            if let known = aliases[alias], known != official {
                throw CSVError(file: name, line: record.line, message: "alias \(alias) is given as \(known) on line "
                               + "\(firstLine[alias]!) and as \(official) here: an alias must stand for one name")
            }
            aliases[alias] = official
            firstLine[alias] = firstLine[alias] ?? record.line
        }
        return aliases
    }
}
