import Foundation

/// A file read or written in large blocks with POSIX `open`, `read`, `write` and `close`; one owner, closed once.
final class ByteFile {
    private var descriptor: Int32
    let path: String

    init(reading path: String) throws {
        self.path = path
        descriptor = open(path, O_RDONLY)
        if descriptor < 0 {
            throw CSVError(file: path, line: 0, message: "cannot open the file for reading (\(String(cString: strerror(errno)))): check the path and permissions")
        }
    }

    init(writing path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if descriptor < 0 {
            throw CSVError(file: path, line: 0, message: "cannot create the file (\(String(cString: strerror(errno)))): check that its folder exists and is writable")
        }
    }

    deinit {
        if descriptor >= 0 { _ = Foundation.close(descriptor) }
    }

    /// Reads up to `count` bytes; 0 at the end of the file.
    func read(into pointer: UnsafeMutableRawPointer, count: Int) throws -> Int {
        while true {
            let n = Foundation.read(descriptor, pointer, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw CSVError(file: path, line: 0, message: "cannot read: \(String(cString: strerror(errno)))")
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func write(_ raw: UnsafeRawBufferPointer) throws {
        guard let start = raw.baseAddress else { return }
        var offset = 0
        while offset < raw.count {
            let n = Foundation.write(descriptor, start + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw CSVError(file: path, line: 0, message: "cannot write (\(String(cString: strerror(errno)))): is the disk full?")
            }
            offset += n
        }
    }

    func close() throws {
        guard descriptor >= 0 else { return }
        let result = Foundation.close(descriptor)
        descriptor = -1
        if result != 0 {
            throw CSVError(file: path, line: 0, message: "cannot close the file: \(String(cString: strerror(errno)))")
        }
    }
}
